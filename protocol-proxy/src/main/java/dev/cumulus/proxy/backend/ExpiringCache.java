package dev.cumulus.proxy.backend;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded map whose entries live at most {@code ttl}; when full, the least recently used entry
 * goes. For answers from the store that stay true for a while: the ttl bounds how stale one can be.
 */
public final class ExpiringCache<K, V> {
    private record Held<V>(V value, long expires) {}

    private final long ttlMillis;
    private final Clock clock;
    private final Map<K, Held<V>> entries;

    public ExpiringCache(int maxEntries, Duration ttl, Clock clock) {
        this.ttlMillis = ttl.toMillis();
        this.clock = clock;
        this.entries = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Held<V>> eldest) {
                return size() > maxEntries;
            }
        };
    }

    public synchronized Optional<V> get(K key) {
        Held<V> e = entries.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (e.expires() <= clock.millis()) {
            entries.remove(key);
            return Optional.empty();
        }
        return Optional.of(e.value());
    }

    public synchronized void put(K key, V value) {
        entries.put(key, new Held<>(value, clock.millis() + ttlMillis));
    }

    public synchronized void remove(K key) {
        entries.remove(key);
    }
}
