package dev.cumulus.functions.tables;

import java.util.concurrent.ThreadLocalRandom;

/** The one backoff for retries the SDK does not do itself: unprocessed batch items, cancelled transactions. */
public final class BatchBackoff {
    private BatchBackoff() {}

    static final int MAX_ATTEMPTS = 10;

    /**
     * Sleeps about 2^attempt × 25 ms (at most 3.2 s), jittered.
     *
     * @throws IllegalStateException from attempt {@value #MAX_ATTEMPTS} on
     */
    public static void sleep(int attempt, String what) {
        if (attempt >= MAX_ATTEMPTS) {
            throw new IllegalStateException(what + " did not succeed after " + MAX_ATTEMPTS + " attempts");
        }
        long cap = Math.min(3200, 25L << Math.min(attempt, 7));
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        }
    }
}
