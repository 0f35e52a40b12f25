package dev.cumulus.functions;

import dev.cumulus.functions.tables.ChunkedWork;
import dev.cumulus.functions.tables.RootsTable.Sweeps;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * What keeps the bucket's sweep from removing an object a path is being registered with. A sweep
 * step removes the objects its listing found old and unused; a writer may renew such an object (a
 * PUT of the same NAR, a touch) after that listing and register its path before the delete. So a
 * sweep step records itself in the roots table for as long as it lists and deletes, with a deadline
 * after which it deletes nothing; a registration whose objects were written while a step ran (one
 * under way when it registers, or one that ended after its writes began) waits for those steps to
 * end, then finds its NAR objects there or refuses the paths. A step that starts after the writes
 * lists the objects as new, and the grace period keeps them.
 *
 * <p>Its times are real time, whatever clock the collection runs on: writers stamp their writes
 * with their own clocks.
 */
final class SweepFence {
    /** A sweep step deletes nothing after this long (Lambda cuts an invocation off at 15 minutes). */
    static final long STEP_DELETES_WITHIN_MILLIS = 10 * 60_000;
    /** A delete request starts only this long before the deadline at the latest, so none lands after it. */
    static final long DELETE_MARGIN_MILLIS = 60_000;
    /** How long a registration waits for sweep steps to end before it refuses its paths. */
    static final long WAIT_MILLIS = 60_000;
    /** Writes of unknown start are taken to have started this long before their registration. */
    static final long UNKNOWN_WRITES_MILLIS = 3600_000;
    /** How far the writer's clock and the functions' may be apart. */
    static final long CLOCK_SKEW_MILLIS = 2000;
    private static final long POLL_MILLIS = 100;
    private static final int HEADS_AT_ONCE = 16;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final Clock clock = Clock.systemUTC();

    SweepFence(StoreTables tables, Bucket bucket, StoreDir storeDir) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
    }

    /** Runs sweep step {@code id}'s work, given its deadline (epoch millis), recorded as under way meanwhile. */
    <T> T sweeping(String id, LongFunction<T> work) {
        long until = clock.millis() + STEP_DELETES_WITHIN_MILLIS;
        tables.roots().sweepStarted(id, until);
        try {
            return work.apply(until);
        } finally {
            tables.roots().sweepEnded(id, clock.millis());
        }
    }

    /** Throws unless a delete started now ends before the step's deadline {@code until}. */
    void checkDeadline(long until) {
        if (clock.millis() > until - DELETE_MARGIN_MILLIS) {
            throw new IllegalStateException("the sweep step ran too long to delete safely (its deadline is "
                    + java.time.Instant.ofEpochMilli(until) + "); sweep the bucket in more parts");
        }
    }

    /**
     * Checks that the NAR objects of {@code objects}, written since {@code writtenSinceMillis} (-1:
     * unknown), are still there if a sweep step that {@code atRegistration} shows (read after the
     * writes) may have listed the bucket before they were written and deleted after.
     */
    void checkObjects(Sweeps atRegistration, long writtenSinceMillis, Map<StorePath, NarObject> objects) {
        if (objects.isEmpty()) {
            return;
        }
        long since = (writtenSinceMillis >= 0 ? writtenSinceMillis : clock.millis() - UNKNOWN_WRITES_MILLIS)
                - CLOCK_SKEW_MILLIS;
        if (atRegistration.running().isEmpty() && atRegistration.lastEndedMillis() < since) {
            return; // no step ran while the objects were written
        }
        awaitEnd(atRegistration.running());
        Map<String, StorePath> byKey = new LinkedHashMap<>();
        objects.forEach((p, o) -> byKey.putIfAbsent(o.key(), p));
        List<String> missing = ChunkedWork.inChunks(List.copyOf(byKey.keySet()), 1, HEADS_AT_ONCE,
                "looking for NAR files in the store bucket", one -> {
                    try {
                        return bucket.size(one.getFirst()).isPresent() ? List.<String>of() : one;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
        if (!missing.isEmpty()) {
            throw new StoreException("the NAR of '" + storeDir.print(byKey.get(missing.getFirst())) + "' was removed by a "
                    + "garbage collection that swept the store bucket while it was being added; add the path again");
        }
    }

    /** Waits until the steps {@code running} (with their deadlines) have ended or passed their deadlines. */
    private void awaitEnd(Map<String, Long> running) {
        long giveUp = clock.millis() + WAIT_MILLIS;
        Map<String, Long> waiting = new HashMap<>(running);
        while (true) {
            long now = clock.millis();
            waiting.values().removeIf(deadline -> deadline <= now);
            if (waiting.isEmpty()) {
                return;
            }
            if (now > giveUp) {
                throw new StoreException("a garbage collection is sweeping the store bucket and has not ended within "
                        + WAIT_MILLIS / 1000 + " s; add the paths again once it has");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while waiting for a sweep of the store bucket to end");
            }
            waiting.keySet().retainAll(tables.roots().sweeps().running().keySet());
        }
    }
}
