package dev.cumulus.runner;

import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.util.ArrayList;
import java.util.List;

/**
 * A build's log on its way out: lines are collected as the builder prints them and sent in
 * chunks through the append-build-log function, whose answer says whether the build is still
 * wanted (a build whose client went away, or that was failed from outside, is not). The whole log
 * is kept too (up to a bound, oldest lines dropped) for the copy in the bucket.
 */
final class BuildLogShipper {
    private final StoreFunctionClient functions;
    private final String build;
    private final int attempt;
    private final int maxKept;
    private final List<String> pending = new ArrayList<>();
    private final java.util.ArrayDeque<String> kept = new java.util.ArrayDeque<>();
    private final Object sending = new Object();
    private long seq;
    private volatile boolean wanted = true;
    private volatile boolean shippedSinceCheck;

    BuildLogShipper(StoreFunctionClient functions, String build, int attempt, int maxKept) {
        this.functions = functions;
        this.build = build;
        this.attempt = attempt;
        this.maxKept = maxKept;
    }

    synchronized void line(String line) {
        pending.add(line);
        kept.addLast(line);
        if (kept.size() > maxKept) {
            kept.removeFirst();
        }
    }

    /**
     * Sends what has accumulated; a failure to send is retried with the next chunk. One chunk at a
     * time: a last call waits for one under way, so that {@link #chunksSent} counts it.
     */
    void ship() {
        synchronized (sending) {
            List<String> chunk;
            long n;
            synchronized (this) {
                if (pending.isEmpty()) {
                    return;
                }
                chunk = List.copyOf(pending);
                n = seq;
            }
            try {
                wanted = functions.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(build, attempt, n, chunk)).run();
                shippedSinceCheck = true;
                synchronized (this) {
                    pending.subList(0, chunk.size()).clear();
                    seq++;
                }
            } catch (RuntimeException e) {
                System.getLogger(BuildLogShipper.class.getName()).log(System.Logger.Level.WARNING,
                        "sending the log of " + build + ": " + e.getMessage());
            }
        }
    }

    /** How many chunks went out (after a last {@link #ship}: all this attempt will send). */
    long chunksSent() {
        synchronized (sending) {
            synchronized (this) {
                return seq;
            }
        }
    }

    /**
     * Asks whether the build is still wanted when no chunk went out since the last call: a silent
     * builder sends no log, yet a cancelled build must stop.
     */
    void checkWanted() {
        if (shippedSinceCheck) {
            shippedSinceCheck = false;
            return;
        }
        try {
            wanted = !functions.call(StoreFunction.QUERY_BUILD, new BuildQuery(build, Long.MAX_VALUE)).finished();
        } catch (RuntimeException e) {
            System.getLogger(BuildLogShipper.class.getName()).log(System.Logger.Level.WARNING,
                    "asking after " + build + ": " + e.getMessage());
        }
    }

    boolean wanted() {
        return wanted;
    }

    synchronized List<String> all() {
        return List.copyOf(kept);
    }
}
