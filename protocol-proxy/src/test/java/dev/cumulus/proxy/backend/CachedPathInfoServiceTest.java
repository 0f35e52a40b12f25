package dev.cumulus.proxy.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class CachedPathInfoServiceTest {
    static final StoreDir STORE = StoreDir.DEFAULT;

    /** The store behind the cache: a map, counting the questions that reach it. */
    static final class CountingStore implements PathInfoService {
        final Map<StorePath, PathInfo> valid = new HashMap<>();
        int pathInfoQueries;
        int validPathsQueried;

        @Override
        public Optional<PathInfo> queryPathInfo(StorePath path) {
            pathInfoQueries++;
            return Optional.ofNullable(valid.get(path));
        }

        @Override
        public SortedSet<StorePath> queryValidPaths(Set<StorePath> paths) {
            validPathsQueried += paths.size();
            TreeSet<StorePath> r = new TreeSet<>(paths);
            r.retainAll(valid.keySet());
            return r;
        }

        @Override
        public void addSignatures(StorePath path, List<Signature> signatures) {
            valid.put(path, valid.get(path).withSignatures(signatures));
        }

        @Override public Optional<StorePath> queryPathFromHashPart(String hashPart) { return Optional.empty(); }
        @Override public SortedSet<StorePath> queryReferrers(StorePath path) { return new TreeSet<>(); }
        @Override public SortedSet<StorePath> queryValidDerivers(StorePath path) { return new TreeSet<>(); }
        @Override public SortedMap<String, Optional<StorePath>> queryDerivationOutputMap(StorePath drvPath) { return new java.util.TreeMap<>(); }
        @Override public SortedSet<StorePath> queryAllValidPaths() { return new TreeSet<>(valid.keySet()); }
    }

    static final class TestClock extends Clock {
        long millis;

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.ofEpochMilli(millis); }
    }

    /** The store's deletions as a collection moves them, on a clock the test turns. */
    static final class Deletions {
        long generation;
        boolean deleting;
        boolean unreachable;
        int reads;
        long nanos;

        DeletionFence fence() {
            return new DeletionFence(() -> {
                reads++;
                if (unreachable) {
                    throw new StoreException("the store functions cannot be reached");
                }
                return new dev.cumulus.model.event.RootEvents.Deletions(generation, deleting);
            }, () -> nanos);
        }

        void advanceMillis(long millis) {
            nanos += millis * 1_000_000;
        }
    }

    static CachedPathInfoService cache(CountingStore store, int entries, Clock clock, Deletions deletions) {
        return new CachedPathInfoService(store, new FencedCache<>(entries, Duration.ofSeconds(30), clock, deletions.fence()));
    }

    static PathInfo info(String name) {
        StorePath p = STORE.makeStorePath("output:out", Hash.sha256(name), name);
        return PathInfo.of(p, Hash.sha256("nar " + name), 100, List.of());
    }

    @Test
    void validPathsAreAnsweredFromTheCacheUntilTheyExpire() {
        CountingStore store = new CountingStore();
        TestClock clock = new TestClock();
        var cached = cache(store, 100, clock, new Deletions());
        PathInfo a = info("a");
        PathInfo b = info("b");
        store.valid.put(a.path(), a);

        assertEquals(Optional.of(a), cached.queryPathInfo(a.path()));
        assertEquals(Optional.of(a), cached.queryPathInfo(a.path()));
        assertEquals(1, store.pathInfoQueries);
        // Only the paths the cache does not know reach the store.
        assertEquals(new TreeSet<>(List.of(a.path())), cached.queryValidPaths(Set.of(a.path(), b.path())));
        assertEquals(1, store.validPathsQueried);

        // An invalid path is asked every time: it may have been added since.
        assertEquals(Optional.empty(), cached.queryPathInfo(b.path()));
        store.valid.put(b.path(), b);
        assertEquals(Optional.of(b), cached.queryPathInfo(b.path()));

        // Removed behind the cache's back by no collection (it cannot happen): reported until the entry expires.
        store.valid.remove(a.path());
        assertEquals(Optional.of(a), cached.queryPathInfo(a.path()));
        clock.millis += 30_000;
        assertEquals(Optional.empty(), cached.queryPathInfo(a.path()));
    }

    /** A cache that has answered for path "a" once, and what is behind it. */
    static final class AnsweredOnce {
        final CountingStore store = new CountingStore();
        final Deletions deletions = new Deletions();
        final CachedPathInfoService cached = cache(store, 100, new TestClock(), deletions);
        final PathInfo a = info("a");

        AnsweredOnce() {
            store.valid.put(a.path(), a);
            cached.queryPathInfo(a.path());
        }
    }

    @Test
    void aCollectionAnywhereStopsTheCacheBeforeItDeletes() {
        AnsweredOnce f = new AnsweredOnce();
        CountingStore store = f.store;
        Deletions deletions = f.deletions;
        var cached = f.cached;
        PathInfo a = f.a;
        int readsBefore = deletions.reads;

        // Within CONFIRM_MILLIS of a confirmation the cache answers without asking anyone.
        deletions.advanceMillis(dev.cumulus.model.event.RootEvents.Deletions.CONFIRM_MILLIS - 1);
        assertEquals(Optional.of(a), cached.queryPathInfo(a.path()));
        assertEquals(1, store.pathInfoQueries);
        assertEquals(readsBefore, deletions.reads);

        // Another proxy's collection announces itself; no cached answer is served from then on.
        deletions.deleting = true;
        deletions.generation++;
        deletions.advanceMillis(1);
        store.valid.remove(a.path());
        assertEquals(Optional.empty(), cached.queryPathInfo(a.path()));
        assertEquals(readsBefore + 1, deletions.reads);

        // While it deletes, answers are not kept; after it, the old entry is not served either.
        store.valid.put(a.path(), a);
        cached.queryPathInfo(a.path());
        store.valid.remove(a.path());
        assertEquals(Optional.empty(), cached.queryPathInfo(a.path()));
        deletions.deleting = false;
        deletions.generation++;
        deletions.advanceMillis(dev.cumulus.model.event.RootEvents.Deletions.CONFIRM_MILLIS);
        assertEquals(Optional.empty(), cached.queryPathInfo(a.path()));
    }

    @Test
    void anAnswerReadUnderAnEarlierGenerationIsNotServed() {
        AnsweredOnce f = new AnsweredOnce();
        // A whole collection came and went between two confirmations.
        f.deletions.generation += 2;
        f.deletions.advanceMillis(dev.cumulus.model.event.RootEvents.Deletions.CONFIRM_MILLIS);
        f.cached.queryPathInfo(f.a.path());
        assertEquals(2, f.store.pathInfoQueries);
    }

    @Test
    void withoutTheStoresWordNothingIsServedFromTheCache() {
        AnsweredOnce f = new AnsweredOnce();
        f.deletions.unreachable = true;
        f.deletions.advanceMillis(dev.cumulus.model.event.RootEvents.Deletions.CONFIRM_MILLIS);
        f.cached.queryPathInfo(f.a.path());
        f.cached.queryPathInfo(f.a.path());
        assertEquals(3, f.store.pathInfoQueries);
    }

    @Test
    void addingSignaturesForgetsTheEntry() {
        CountingStore store = new CountingStore();
        var cached = cache(store, 100, new TestClock(), new Deletions());
        PathInfo a = info("a");
        store.valid.put(a.path(), a);
        cached.queryPathInfo(a.path());
        PathInfo signed = a.sign(STORE, SecretKey.generate("k-1"));
        cached.addSignatures(a.path(), signed.signatures());
        assertEquals(signed.signatures(), cached.queryPathInfo(a.path()).orElseThrow().signatures());
    }

    @Test
    void theLeastRecentlyUsedEntryGoesFirst() {
        CountingStore store = new CountingStore();
        var cached = cache(store, 2, new TestClock(), new Deletions());
        PathInfo a = info("a");
        PathInfo b = info("b");
        PathInfo c = info("c");
        List.of(a, b, c).forEach(i -> store.valid.put(i.path(), i));
        cached.queryPathInfo(a.path());
        cached.queryPathInfo(b.path());
        cached.queryPathInfo(a.path());
        cached.queryPathInfo(c.path()); // b goes
        store.pathInfoQueries = 0;
        cached.queryPathInfo(a.path());
        cached.queryPathInfo(c.path());
        assertEquals(0, store.pathInfoQueries);
        cached.queryPathInfo(b.path());
        assertEquals(1, store.pathInfoQueries);
    }
}
