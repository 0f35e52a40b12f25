package dev.cumulus.proxy.functions;

import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.BuildStates;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.proxy.backend.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Watches every build this proxy's clients wait for with one {@code query-builds} call per poll,
 * however many there are: a call per build per poll would cost the functions and the table as
 * much as the builds themselves when many short builds run at once. A build's log is read with
 * the poll every {@link #LOG_POLL} once it has run for {@link #QUICK_FOR}, and when it finishes:
 * a short build's log costs one read.
 *
 * <p>Polls come often while some build is young (most builds are short, and each poll's wait is
 * latency its client sees), then less and less often, but often while log lines come.
 */
final class BuildWatcher {
    static final Duration QUICK_POLL = Duration.ofMillis(10);
    static final Duration QUICK_FOR = Duration.ofSeconds(1);
    static final Duration LOG_POLL = Duration.ofMillis(100);
    static final Duration MAX_POLL = Duration.ofMillis(500);

    private final StoreFunctionClient functions;
    private final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private final Object changed = new Object();
    /** The interval after a poll that found neither young builds nor log lines; it grows to MAX_POLL. */
    private long idleNanos = LOG_POLL.toNanos();

    BuildWatcher(StoreFunctionClient functions) {
        this.functions = functions;
        Thread.ofVirtual().name("build-watcher").start(this::pollForever);
    }

    /** One waiter's view of a build: the states that brought log lines or its end, in order. */
    final class Watch implements AutoCloseable {
        private final String id;
        private final long since = System.nanoTime();
        private volatile long logFrom;
        private volatile long lastLogRead = since;
        /** A {@link BuildState}, or the RuntimeException a poll failed with. */
        private final BlockingQueue<Object> updates = new LinkedBlockingQueue<>();

        private Watch(String id) {
            this.id = id;
        }

        /** The next state with log lines or the end, or null when none came within {@code wait}. */
        BuildState next(Duration wait) throws InterruptedException {
            Object o = updates.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
            if (o instanceof RuntimeException e) {
                FunctionCalls.call(() -> {
                    throw e;
                });
            }
            return (BuildState) o;
        }

        @Override
        public void close() {
            watches.remove(this);
        }
    }

    Watch watch(String id) {
        Watch w = new Watch(id);
        watches.add(w);
        synchronized (changed) {
            idleNanos = LOG_POLL.toNanos();
            changed.notifyAll();
        }
        return w;
    }

    private void pollForever() {
        long lastPoll = 0;
        while (true) {
            try {
                synchronized (changed) {
                    while (true) {
                        long wait = watches.isEmpty() ? Long.MAX_VALUE : lastPoll + interval() - System.nanoTime();
                        if (wait <= 0) {
                            break;
                        }
                        TimeUnit.NANOSECONDS.timedWait(changed, Math.min(wait, TimeUnit.SECONDS.toNanos(60)));
                    }
                }
                lastPoll = System.nanoTime();
                if (!poll(List.copyOf(watches), lastPoll)) {
                    synchronized (changed) {
                        idleNanos = Math.min(MAX_POLL.toNanos(), idleNanos * 3 / 2);
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private long interval() {
        long now = System.nanoTime();
        for (Watch w : watches) {
            if (now - w.since < QUICK_FOR.toNanos()) {
                return QUICK_POLL.toNanos();
            }
        }
        return idleNanos;
    }

    /** Asks after every watched build once; true when one brought log lines or ended. */
    private boolean poll(List<Watch> now, long at) {
        if (now.isEmpty()) {
            return false;
        }
        List<BuildQuery> queries = new ArrayList<>();
        Set<String> withLog = new HashSet<>();
        for (Watch w : now) {
            queries.add(new BuildQuery(w.id, w.logFrom));
            if (at - w.since >= QUICK_FOR.toNanos() && at - w.lastLogRead >= LOG_POLL.toNanos()) {
                withLog.add(w.id);
            }
        }
        BuildStates answer;
        try {
            answer = functions.call(StoreFunction.QUERY_BUILDS, new BuildsQuery(queries, List.copyOf(withLog)));
        } catch (RuntimeException e) {
            now.forEach(w -> w.updates.add(e));
            return false;
        }
        boolean news = false;
        for (int i = 0; i < now.size(); i++) {
            Watch w = now.get(i);
            BuildState s = i < answer.builds().size() ? answer.builds().get(i) : null;
            if (s == null) {
                w.updates.add(new StoreException("there is no build '" + w.id + "'"));
                continue;
            }
            if (s.finished() || withLog.contains(w.id)) {
                w.lastLogRead = at;
            }
            if (s.finished() || !s.log().isEmpty()) {
                w.logFrom = s.logNext();
                w.updates.add(s);
                news = true;
            }
        }
        return news;
    }
}
