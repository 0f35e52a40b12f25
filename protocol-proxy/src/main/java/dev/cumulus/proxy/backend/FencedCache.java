package dev.cumulus.proxy.backend;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * An {@link ExpiringCache} of answers about valid paths that a collection may make untrue: each
 * entry is kept with the deletion generation it was read under and served only while the
 * {@link DeletionFence} says that generation still holds. Ask {@link #generation()} before asking
 * the store, and {@link #put} the answer with it.
 */
public final class FencedCache<K, V> {
    private record Stamped<V>(V value, long generation) {}

    private final ExpiringCache<K, Stamped<V>> entries;
    private final DeletionFence fence;

    public FencedCache(int maxEntries, Duration ttl, Clock clock, DeletionFence fence) {
        this.entries = new ExpiringCache<>(maxEntries, ttl, clock);
        this.fence = fence;
    }

    /** The generation an answer asked for now is read under ({@link DeletionFence#NONE}: it will not be kept). */
    public long generation() {
        return fence.current();
    }

    public Optional<V> get(K key) {
        long now = fence.current();
        if (now == DeletionFence.NONE) {
            return Optional.empty();
        }
        Optional<Stamped<V>> e = entries.get(key);
        if (e.isPresent() && e.get().generation() != now) {
            entries.remove(key);
            return Optional.empty();
        }
        return e.map(Stamped::value);
    }

    /** Keeps {@code value}, read under {@code generation}. */
    public void put(K key, V value, long generation) {
        if (generation != DeletionFence.NONE) {
            entries.put(key, new Stamped<>(value, generation));
        }
    }

    public void remove(K key) {
        entries.remove(key);
    }
}
