package dev.cumulus.functions;

import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;

/**
 * The collection-steps queue as the tests run it: in memory, its steps run by whoever waits for a
 * collection (in {@link GarbageCollection#run}'s polls), one at a time, in the order they were queued.
 */
final class TestCollectionSteps implements JobQueue<CollectionStep> {
    /** More steps than any test's collection takes: a step that keeps coming back fails the test. */
    private static final int MOST_STEPS = 10_000;

    private final LinkedBlockingQueue<CollectionStep> waiting = new LinkedBlockingQueue<>();
    /** Every step taken off the queue, in order. */
    final java.util.List<CollectionStep> taken = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    /** The first step queued that this matches cuts its sender off instead (null: none). */
    private volatile Predicate<CollectionStep> cutOffAt;

    @Override
    public void send(CollectionStep step) {
        Predicate<CollectionStep> at = cutOffAt;
        if (at != null && at.test(step)) {
            cutOffAt = null;
            throw new java.io.UncheckedIOException(new java.io.InterruptedIOException("cut off as it queued " + step));
        }
        waiting.add(step);
    }

    /** The step that queues the first step {@code at} matches is cut off right then, as by its invocation's timeout. */
    void cutOffQueuing(Predicate<CollectionStep> at) {
        cutOffAt = at;
    }

    /** Runs the waiting steps, and those they queue, with {@code run}; one it answers false for comes back. */
    void drain(Predicate<CollectionStep> run) {
        for (int ran = 0; ; ran++) {
            CollectionStep step = waiting.poll();
            if (step == null) {
                return;
            }
            taken.add(step);
            if (ran > MOST_STEPS) {
                throw new AssertionError("a collection's steps keep coming back: " + step);
            }
            if (!run.test(step)) {
                waiting.add(step);
            }
        }
    }

    /** A collector whose steps go to its own queue, with a caller's way of running a collection to its end. */
    record Collector(GarbageCollector collector, TestCollectionSteps steps) {
        Collector(GarbageCollector.Interleaving at, TestStore store, java.time.Clock clock) {
            this(at, store, clock, GarbageCollector.SWEEP_PATHS);
        }

        /** One whose sweep steps take {@code sweepPaths} paths each. */
        Collector(GarbageCollector.Interleaving at, TestStore store, java.time.Clock clock, long sweepPaths) {
            this(at, store, clock, sweepPaths, new TestCollectionSteps());
        }

        private Collector(GarbageCollector.Interleaving at, TestStore store, java.time.Clock clock, long sweepPaths,
                          TestCollectionSteps steps) {
            this(new GarbageCollector(store.tables, store.bucket, TestStore.STORE, FunctionsConfig.DEFAULT_GC_GRACE_SECONDS,
                    clock, steps, dev.cumulus.model.metrics.Metrics.NONE, at, sweepPaths), steps);
        }

        /** {@code request} run to its end, as the collect-garbage and query-collection functions would answer. */
        GarbageCollected collect(CollectGarbage request) {
            return collect(request, true, this::runSteps);
        }

        /**
         * {@code request} run until its caller is answered (with {@code untilSwept} false, as the proxy
         * waits), {@code eachPoll} running its steps before each look at its record.
         */
        GarbageCollected collect(CollectGarbage request, boolean untilSwept, Runnable eachPoll) {
            StoreFunctionClient functions = new StoreFunctionClient((name, json) -> {
                try {
                    if (name.equals(StoreFunction.COLLECT_GARBAGE.name())) {
                        return EventJson.write(collector.start(EventJson.read(json, CollectGarbage.class)));
                    }
                    if (name.equals(StoreFunction.QUERY_COLLECTION.name())) {
                        return EventJson.write(collector.report(EventJson.read(json, QueryCollection.class)));
                    }
                } catch (StoreException e) {
                    throw new FunctionFailedException(e.getMessage(), e);
                }
                throw new FunctionFailedException("there is no store function '" + name + "'");
            });
            return GarbageCollection.run(functions, request, untilSwept, state -> eachPoll.run());
        }

        /** Runs the queued steps and those they queue; one cut off comes back, as the queue would redeliver it. */
        void runSteps() {
            steps.drain(step -> {
                try {
                    collector.step(step);
                    return true;
                } catch (java.io.UncheckedIOException cutOff) {
                    return false;
                }
            });
        }
    }
}
