package dev.cumulus.model.event;

import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionReport;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A collection as a caller meets it: started by the collect-garbage function, run by the
 * collection-steps function over as many invocations as the store needs, and followed here from its
 * record until it ends, then its paths read a page at a time.
 */
public final class GarbageCollection {
    /** A collection whose record has not moved for this long is given up on: longer than any one step may take. */
    static final long STALLED_SECONDS = 16 * 60 + 30;
    private static final PollSchedule POLLS = new PollSchedule(20, 100);

    private GarbageCollection() {}

    /**
     * Runs {@code request} until its paths are deleted (with {@code untilSwept}, until the sweep of
     * the bucket that follows has ended too: only then are its removed objects counted), handing each
     * state the collection's record shows to {@code progress}; a collection that failed or was taken
     * over throws, with its error. The sweep removes files no path uses, older than the grace period:
     * none of the paths just deleted, so a caller that asked for their deletion need not wait for it.
     */
    public static GarbageCollected run(StoreFunctionClient functions, CollectGarbage request, boolean untilSwept,
                                       Consumer<CollectionState> progress) {
        CollectionState state = functions.call(StoreFunction.COLLECT_GARBAGE, request);
        long since = System.nanoTime();
        long lastMoved = since;
        long lastUpdate = state.updatedAt();
        CollectionReport report = new CollectionReport(state, List.of(), 0);
        while (report.state().running() && (untilSwept || !report.state().phase().equals(CollectionState.SWEEPING))) {
            progress.accept(report.state());
            sleep(POLLS.pauseSince(since));
            report = functions.call(StoreFunction.QUERY_COLLECTION, new QueryCollection(state.id(), 0));
            if (report.state().updatedAt() != lastUpdate) {
                lastUpdate = report.state().updatedAt();
                lastMoved = System.nanoTime();
            } else if (System.nanoTime() - lastMoved > STALLED_SECONDS * 1_000_000_000L) {
                throw new FunctionFailedException("collection " + state.id() + " made no progress for "
                        + STALLED_SECONDS + " seconds; a later collection takes its marks over once its lease runs out");
            }
        }
        CollectionState ended = report.state();
        progress.accept(ended);
        switch (ended.phase()) {
            case CollectionState.DONE, CollectionState.SWEEPING -> { }
            case CollectionState.ABANDONED -> throw new FunctionFailedException("collection " + ended.id()
                    + " was taken over by another after its lease ran out; it stopped");
            default -> throw new FunctionFailedException(ended.error() == null
                    ? "collection " + ended.id() + " failed" : ended.error());
        }
        List<String> paths = new ArrayList<>(report.paths());
        while (report.nextPage() >= 0) {
            report = functions.call(StoreFunction.QUERY_COLLECTION, new QueryCollection(ended.id(), report.nextPage()));
            paths.addAll(report.paths());
        }
        return new GarbageCollected(paths, ended.bytesFreed(), ended.removedObjects());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FunctionFailedException("interrupted while waiting for a garbage collection");
        }
    }
}
