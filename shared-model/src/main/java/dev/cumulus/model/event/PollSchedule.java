package dev.cumulus.model.event;

/**
 * How long a caller that waits on a job of the functions (a substitution, a collection) pauses
 * before asking after it again: a twentieth of how long it has waited so far, within
 * {@code shortestMillis} and {@code longestMillis}. The news of the job's end then reaches the caller
 * at most a twentieth of the wait late (a pause that merely grew by steps reached its longest within
 * a second, so a job of a few seconds was heard of a quarter of a second late on average), for about
 * fifteen questions each time the wait doubles.
 */
public record PollSchedule(long shortestMillis, long longestMillis) {
    private static final int SHARE = 20;

    public PollSchedule {
        if (shortestMillis <= 0 || longestMillis < shortestMillis) {
            throw new IllegalArgumentException("a poll pauses between " + shortestMillis + " and " + longestMillis + " ms");
        }
    }

    /** The pause before the next question of a wait that began at {@code sinceNanos} ({@link System#nanoTime}). */
    public long pauseSince(long sinceNanos) {
        return pauseAfter((System.nanoTime() - sinceNanos) / 1_000_000);
    }

    /** The pause before the next question, {@code waitedMillis} after the first. */
    public long pauseAfter(long waitedMillis) {
        return Math.clamp(waitedMillis / SHARE, shortestMillis, longestMillis);
    }
}
