package dev.cumulus.proxy.backend;

import dev.cumulus.model.event.RootEvents.Deletions;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What keeps this proxy's caches from answering for a path a collection deleted, here or through
 * any other proxy. The store counts deletions in a generation that every collection moves when it
 * starts deleting and again when it ends, and waits {@link Deletions#ANNOUNCE_MILLIS} between
 * announcing and deleting. A cached answer is used only if it was read under the current generation,
 * no collection is deleting, and that was confirmed less than {@link Deletions#CONFIRM_MILLIS} ago
 * (counted from before the confirming read was sent); otherwise the store is asked. So a reader can
 * serve from its cache at time t only if it learnt at t - CONFIRM_MILLIS or later that nothing was
 * being deleted, which is before any collection that could have deleted the path announced itself.
 */
public final class DeletionFence {
    /** No generation: nothing may be cached or served from a cache now. */
    public static final long NONE = -1;
    private static final Logger LOG = Logger.getLogger(DeletionFence.class.getName());

    private final Supplier<Deletions> store;
    private final LongSupplier nanoTime;
    private long generation = NONE;
    private boolean deleting = true;
    private long confirmedAt;
    private boolean confirmed;

    public DeletionFence(Supplier<Deletions> store, LongSupplier nanoTime) {
        this.store = store;
        this.nanoTime = nanoTime;
    }

    public DeletionFence(Supplier<Deletions> store) {
        this(store, System::nanoTime);
    }

    /**
     * The generation under which an answer read from the store now may be cached and a cached one
     * served, or {@link #NONE}; asks the store when the last confirmation is too old.
     */
    public synchronized long current() {
        long now = nanoTime.getAsLong();
        if (!confirmed || now - confirmedAt >= Deletions.CONFIRM_MILLIS * 1_000_000) {
            try {
                Deletions d = store.get();
                generation = d.generation();
                deleting = d.deleting();
                confirmedAt = now;
                confirmed = true;
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "cannot read the store's deletions; not using cached answers", e);
                confirmed = false;
                return NONE;
            }
        }
        return deleting ? NONE : generation;
    }
}
