package dev.cumulus.functions;

import dev.cumulus.functions.tables.BuildsTable;
import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.PathInfoTable.Scanned;
import dev.cumulus.functions.tables.RootsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Closure-aware garbage collection of the store, safe against uploads and builds running meanwhile.
 *
 * <p>A path is live if a root reaches it through references: a named root, a temporary root of a
 * connection whose lease holds, an input of a queued or running build, an output of a build that
 * finished in the last {@value #FINISHED_BUILD_HOLD_SECONDS} seconds (its clients root it when they
 * hear of it), and, as Nix's {@code keep-derivations}, the deriver of a live path.
 *
 * <p>The protocol against concurrent writers (the other half is in {@code PathInfoTable}):
 * <ol>
 * <li>scan every path, then the roots and builds (so a path scanned was rooted, if at all, before
 *     the roots were read: registrations write temporary roots before committing);</li>
 * <li>mark each dead path with this collection's id, on the condition that it is as scanned;</li>
 * <li>read the roots and builds again: a path rooted since is unmarked and kept;</li>
 * <li>in referrers-first order, keep a marked path that has a referrer that stays (a valid one
 *     registered after the scan, whose registration checked the reference unmarked, or one we keep),
 *     else delete it on the condition that it is still marked by us (whoever roots or refers to a path
 *     clears marks first); paths go {@value #DELETE_BATCH} at a time in one transaction, so a path and
 *     its referrers in the batch go at once, and a batch with a revived path is decided again;</li>
 * <li>after paths' items, their edges, derivation outputs, realisations and narinfos go: the item is
 *     the commit point, so a path is never valid without its NAR;</li>
 * <li>NAR and narinfo objects that no path refers to and older than the grace period go last.</li>
 * </ol>
 */
public final class GarbageCollector {
    static final long FINISHED_BUILD_HOLD_SECONDS = 600;
    private static final Logger LOG = Logger.getLogger(GarbageCollector.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final long defaultGraceSeconds;
    private final Clock clock;
    private final Interleaving interleaving;

    public GarbageCollector(StoreTables tables, Bucket bucket, StoreDir storeDir, long defaultGraceSeconds, Clock clock) {
        this(tables, bucket, storeDir, defaultGraceSeconds, clock, Interleaving.NONE);
    }

    GarbageCollector(StoreTables tables, Bucket bucket, StoreDir storeDir, long defaultGraceSeconds, Clock clock,
                     Interleaving interleaving) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
        this.defaultGraceSeconds = defaultGraceSeconds;
        this.clock = clock;
        this.interleaving = interleaving;
    }

    /**
     * The points between a collection's steps where concurrent writers can act; tests put writers
     * there to force each interleaving the protocol guards against. None in production.
     */
    interface Interleaving {
        Interleaving NONE = new Interleaving() {};

        /** The store and its roots were read; the dead paths (referrers first) are about to be marked. */
        default void scanned(List<StorePath> dead) {}

        /** The dead paths are marked; the roots are about to be read again. */
        default void marked(List<StorePath> marked) {}

        /** The collection decided to delete {@code path} and is about to, on the condition of its mark. */
        default void deleting(StorePath path) {}
    }

    public GarbageCollected collect(CollectGarbage request) {
        String action = request.action() == null ? CollectGarbage.DELETE_DEAD : request.action();
        long now = clock.instant().getEpochSecond();
        long maxFreed = request.maxFreed() < 0 ? Long.MAX_VALUE : request.maxFreed();
        if (action.equals(CollectGarbage.RETURN_LIVE) || action.equals(CollectGarbage.RETURN_DEAD)) {
            Map<StorePath, Scanned> scanned = scan();
            Set<StorePath> live = closure(roots(now), scanned);
            return new GarbageCollected(print(action.equals(CollectGarbage.RETURN_LIVE)
                    ? new TreeSet<>(live).stream().filter(scanned::containsKey).toList()
                    : scanned.keySet().stream().filter(p -> !live.contains(p)).sorted().toList()), 0, List.of());
        }
        if (!action.equals(CollectGarbage.DELETE_DEAD) && !action.equals(CollectGarbage.DELETE_SPECIFIC)) {
            throw new StoreException("unknown garbage collector action '" + action + "'");
        }
        if (!request.specific() && action.equals(CollectGarbage.DELETE_SPECIFIC)) {
            throw new StoreException("Cannot delete the entire store");
        }
        Progress progress = new Progress("gc-" + now + "-" + Long.toHexString(RANDOM.nextLong()));
        tables.roots().startCollection(progress.gc, now);
        try {
            GarbageCollected done = deleteDead(request, progress, maxFreed, now);
            progress.set("removedObjects", done.removedObjects().size());
            progress.finish(CollectionState.DONE, null);
            return done;
        } catch (RuntimeException | Error e) {
            // Written even when the invocation is being cut off, so that the next collection need not
            // wait for the lease to run out before it takes this one's marks over.
            boolean interrupted = Thread.interrupted();
            try {
                progress.finish(CollectionState.FAILED, String.valueOf(e.getMessage()));
            } catch (RuntimeException notRecorded) {
                e.addSuppressed(notRecorded); // the lease runs out instead
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            throw e;
        }
    }

    private GarbageCollected deleteDead(CollectGarbage request, Progress progress, long maxFreed, long now) {
        Map<StorePath, Scanned> scanned = scan();
        Set<StorePath> live = closure(roots(now), scanned);
        progress.set("scanned", scanned.size());
        if (request.specific()) {
            return deleteSpecific(request, progress, scanned, live, maxFreed, now);
        }
        List<StorePath> dead = scanned.keySet().stream().filter(p -> !live.contains(p)).sorted().toList();
        progress.set("dead", dead.size());
        progress.record(CollectionState.SCANNING);
        Deletion deletion = delete(progress, referrersFirst(dead, scanned), scanned, maxFreed, now);
        List<String> removed = maxFreed == Long.MAX_VALUE || deletion.bytesFreed < maxFreed
                ? sweepBucket(scanned, deletion.deleted, now - grace(request)) : List.of();
        return new GarbageCollected(print(deletion.deleted), deletion.bytesFreed, removed);
    }

    private Map<StorePath, Scanned> scan() {
        Map<StorePath, Scanned> scanned = new LinkedHashMap<>();
        tables.paths().scanAll(s -> scanned.put(s.stored().info().path(), s));
        return scanned;
    }

    /**
     * A running collection's record: its counts so far, written with each step, and while it deletes
     * its lease, renewed with each write; a write that finds the collection taken over stops it.
     */
    private final class Progress {
        final String gc;
        final Map<String, Long> counts = new LinkedHashMap<>();

        Progress(String gc) {
            this.gc = gc;
        }

        void set(String count, long value) {
            counts.put(count, value);
        }

        void record(String phase) {
            long at = clock.instant().getEpochSecond();
            tables.roots().recordProgress(gc, phase, counts, at + Deletions.LEASE_SECONDS, at);
        }

        void finish(String phase, String error) {
            tables.roots().finishCollection(gc, phase, error, counts, clock.instant().getEpochSecond());
        }
    }

    private long grace(CollectGarbage request) {
        return request.graceSeconds() >= 0 ? request.graceSeconds() : defaultGraceSeconds;
    }

    /** The paths the roots name directly: named roots, live temporary roots, builds' held paths. */
    private Set<StorePath> roots(long now) {
        Set<StorePath> roots = new HashSet<>();
        RootsTable.Snapshot snapshot = tables.roots().scan();
        roots.addAll(snapshot.named().values());
        snapshot.liveTemporary(now).values().forEach(roots::addAll);
        for (BuildsTable.Held held : tables.builds().scanHeld()) {
            if (held.state().equals(BuildState.QUEUED) || held.state().equals(BuildState.RUNNING)) {
                held.inputs().forEach(p -> roots.add(storeDir.parse(p)));
            } else if (held.state().equals(BuildState.BUILT) && held.stopTime() >= now - FINISHED_BUILD_HOLD_SECONDS) {
                held.outputs().forEach(p -> roots.add(storeDir.parse(p)));
            }
        }
        return roots;
    }

    /** Everything the roots reach through references, and the derivers of what they reach. */
    private static Set<StorePath> closure(Set<StorePath> roots, Map<StorePath, Scanned> scanned) {
        Set<StorePath> live = new HashSet<>();
        List<StorePath> frontier = new ArrayList<>(roots);
        while (!frontier.isEmpty()) {
            StorePath p = frontier.removeLast();
            Scanned s = scanned.get(p);
            if (s == null || !live.add(p)) {
                continue;
            }
            PathInfo info = s.stored().info();
            frontier.addAll(info.references());
            info.deriver().filter(scanned::containsKey).ifPresent(frontier::add);
        }
        return live;
    }

    /**
     * Deletes the requested paths as Nix's collector does (in their order): a path goes with every
     * path that refers to it, directly or not, and only if none of them is live and, unless
     * {@code deleteReferrers}, all of them were requested. {@code delete-specific} stops at the first
     * path that cannot go, with Nix's error, after deleting those before it; {@code delete-dead}
     * passes over it.
     */
    private GarbageCollected deleteSpecific(CollectGarbage request, Progress progress, Map<StorePath, Scanned> scanned,
                                            Set<StorePath> live, long maxFreed, long now) {
        boolean refuse = request.action().equals(CollectGarbage.DELETE_SPECIFIC);
        SortedSet<StorePath> requested = new TreeSet<>(PathQueries.parseAll(storeDir, request.paths()));
        Map<StorePath, List<StorePath>> referrers = new HashMap<>();
        scanned.forEach((p, s) -> s.stored().info().references().stream().filter(r -> !r.equals(p))
                .forEach(r -> referrers.computeIfAbsent(r, k -> new ArrayList<>()).add(p)));
        Set<StorePath> doomed = new LinkedHashSet<>();
        StorePath stuck = null;
        for (StorePath path : requested) {
            if (!scanned.containsKey(path) || doomed.contains(path)) {
                continue; // not valid, or going already with an earlier one
            }
            Optional<Set<StorePath>> closure = referrerClosure(path, referrers, live, doomed,
                    request.deleteReferrers() ? null : requested);
            if (closure.isPresent()) {
                doomed.addAll(closure.get());
            } else if (refuse) {
                stuck = path;
                break;
            }
        }
        progress.set("dead", doomed.size());
        progress.record(CollectionState.SCANNING);
        Deletion deletion = delete(progress, referrersFirst(doomed, scanned), scanned, maxFreed, now);
        if (refuse && stuck == null) {
            Set<StorePath> gone = new HashSet<>(deletion.deleted);
            // A requested path the plan doomed but that a writer revived meanwhile is alive after all.
            stuck = requested.stream().filter(p -> doomed.contains(p) && !gone.contains(p)).findFirst().orElse(null);
        }
        if (stuck != null) {
            throw new StoreException("Cannot delete path '" + storeDir.print(stuck) + "' since it is still alive. "
                    + "To find out why, use: nix-store --query --roots and nix-store --query --referrers");
        }
        return new GarbageCollected(print(deletion.deleted), deletion.bytesFreed, List.of());
    }

    /**
     * {@code path} and every valid path that refers to it, directly or not, if all of them may go:
     * none is live and each is in {@code allowed} (null: any) or already doomed.
     */
    private static Optional<Set<StorePath>> referrerClosure(StorePath path, Map<StorePath, List<StorePath>> referrers,
                                                            Set<StorePath> live, Set<StorePath> doomed, Set<StorePath> allowed) {
        Set<StorePath> out = new HashSet<>();
        List<StorePath> frontier = new ArrayList<>(List.of(path));
        while (!frontier.isEmpty()) {
            StorePath p = frontier.removeLast();
            if (doomed.contains(p) || !out.add(p)) {
                continue;
            }
            if (live.contains(p) || (allowed != null && !allowed.contains(p))) {
                return Optional.empty();
            }
            frontier.addAll(referrers.getOrDefault(p, List.of()));
        }
        return Optional.of(out);
    }

    /** Referrers before the paths they refer to. */
    private static List<StorePath> referrersFirst(Iterable<StorePath> paths, Map<StorePath, Scanned> scanned) {
        Set<StorePath> among = new HashSet<>();
        paths.forEach(among::add);
        List<StorePath> referencesFirst = new ArrayList<>();
        Set<StorePath> placed = new HashSet<>();
        for (StorePath p : new TreeSet<>(among)) {
            place(p, among, scanned, placed, referencesFirst);
        }
        Collections.reverse(referencesFirst);
        return referencesFirst;
    }

    private static void place(StorePath p, Set<StorePath> among, Map<StorePath, Scanned> scanned, Set<StorePath> placed,
                              List<StorePath> out) {
        if (!placed.add(p)) {
            return; // placed, or in progress: a cycle cannot form among valid paths other than a self-reference
        }
        for (StorePath r : scanned.get(p).stored().info().references()) {
            if (among.contains(r) && !r.equals(p)) {
                place(r, among, scanned, placed, out);
            }
        }
        out.add(p);
    }

    private record Deletion(List<StorePath> deleted, long bytesFreed) {}

    /** The deletion generation caches consult ({@link Deletions}). */
    public Deletions deletions() {
        RootsTable.Deletions d = tables.roots().deletions(clock.instant().getEpochSecond());
        return new Deletions(d.generation(), d.deleting());
    }

    private Deletion delete(Progress progress, List<StorePath> ordered, Map<StorePath, Scanned> scanned, long maxFreed,
                            long now) {
        if (ordered.isEmpty()) {
            return new Deletion(List.of(), 0);
        }
        // Proxies cache path infos: announce the deletions first, so that by the time the first path
        // goes every proxy has stopped serving what it holds (see Deletions).
        long announced = System.nanoTime();
        tables.roots().beginDeletions(progress.gc, now + Deletions.LEASE_SECONDS, now);
        try {
            return delete(progress, ordered, scanned, maxFreed, now, announced);
        } finally {
            tables.roots().endDeletions(progress.gc, CollectionState.SWEEPING, clock.instant().getEpochSecond());
        }
    }

    /**
     * The marks of collections that no longer delete, which this one takes over: those of collections
     * that ended, failed, were abandoned or are forgotten, and those of collections whose lease ran out,
     * which this one abandons first (after which none of their deletes can commit).
     */
    private Set<String> staleMarks(Map<StorePath, Scanned> scanned, long now) {
        Set<String> marks = new HashSet<>();
        scanned.values().forEach(s -> s.mark().ifPresent(marks::add));
        if (marks.isEmpty()) {
            return Set.of();
        }
        Map<String, CollectionState> collections = new HashMap<>();
        tables.roots().collections().forEach(c -> collections.put(c.id(), c));
        Set<String> stale = new HashSet<>();
        for (String mark : marks) {
            CollectionState c = collections.get(mark);
            if (c == null || !c.phase().equals(CollectionState.DELETING) || tables.roots().abandon(mark, now)) {
                if (c != null && c.phase().equals(CollectionState.DELETING)) {
                    LOG.warning(() -> "collection " + mark + " let its lease run out; " + progressOf(c) + "; taking its marks over");
                }
                stale.add(mark);
            }
        }
        return stale;
    }

    private static String progressOf(CollectionState c) {
        return c.marked() + " paths marked, " + c.deleted() + " deleted";
    }

    /** How many deleted batches have their leftovers removed at once, behind the deletes. */
    private static final int FORGETTING_AT_ONCE = 2;

    /** How many paths are marked between two renewals of the lease. */
    private static final int MARK_SLICE = 2_000;

    private Deletion delete(Progress progress, List<StorePath> ordered, Map<StorePath, Scanned> scanned, long maxFreed,
                            long now, long announced) {
        String gc = progress.gc;
        Set<String> stale = staleMarks(scanned, now);
        interleaving.scanned(ordered);
        List<Scanned> candidates = new ArrayList<>();
        long planned = 0;
        for (StorePath p : ordered) {
            if (planned >= maxFreed) {
                break;
            }
            Scanned s = scanned.get(p);
            if (s.mark().isEmpty() || stale.contains(s.mark().get())) {
                candidates.add(s);
                planned += s.stored().info().narSize();
            }
        }
        Set<StorePath> markedSet = new HashSet<>();
        for (int from = 0; from < candidates.size(); from += MARK_SLICE) {
            tables.paths().markAll(candidates.subList(from, Math.min(candidates.size(), from + MARK_SLICE)), gc)
                    .forEach(m -> markedSet.add(m.info().path()));
            progress.set("marked", markedSet.size());
            progress.record(CollectionState.DELETING);
        }
        List<StorePath> marked = ordered.stream().filter(markedSet::contains).toList(); // still referrers first
        if (marked.isEmpty()) {
            return new Deletion(List.of(), 0);
        }
        interleaving.marked(marked);
        // Roots written since the first reading, now that our marks are on: their writers revive
        // what they root after writing, so what is rooted and not seen here will fail our delete.
        Set<StorePath> rootedSince = roots(now);
        Map<String, List<String>> realisationsByOutput = new HashMap<>();
        tables.realisations().scanOutPaths().forEach((id, out) ->
                realisationsByOutput.computeIfAbsent(out, k -> new ArrayList<>()).add(id));
        // Referrers registered since the scan (their registration found the path unmarked): one
        // outside what we marked and valid keeps the path. Those we marked keep it if we keep them.
        long edges = scanned.values().stream().mapToLong(s -> s.stored().info().references().size()).sum();
        Map<StorePath, List<StorePath>> referrers = tables.referrers().referrersOfAll(marked, edges);
        Set<StorePath> outside = new HashSet<>();
        referrers.values().forEach(rs -> rs.stream().filter(r -> !markedSet.contains(r)).forEach(outside::add));
        Set<StorePath> validOutside = new HashSet<>(tables.paths().valid(outside));
        progress.record(CollectionState.DELETING);
        awaitAnnouncement(announced);

        Set<StorePath> kept = new HashSet<>();
        List<StorePath> deleted = new ArrayList<>();
        long freed = 0;
        // What a batch leaves behind goes while the next batches are decided and deleted: none of it
        // is read again, and a path's item is what makes it valid.
        List<Future<?>> forgetting = new ArrayList<>();
        try (ExecutorService behind = Executors.newFixedThreadPool(FORGETTING_AT_ONCE, Thread.ofVirtual().factory())) {
            for (int from = 0; from < marked.size(); from += DELETE_BATCH) {
                List<StorePath> batch = marked.subList(from, Math.min(marked.size(), from + DELETE_BATCH));
                List<StorePath> going = decide(batch, gc, rootedSince, referrers, validOutside, kept);
                while (true) {
                    going.forEach(interleaving::deleting);
                    Set<String> revived = tables.deleteMarked(going.stream().map(StorePath::hashPart).toList(), gc);
                    if (revived.isEmpty()) {
                        break;
                    }
                    // Nothing of the batch went; the revived stay, and so does whatever of it they refer to.
                    going.stream().filter(p -> revived.contains(p.hashPart())).forEach(kept::add);
                    going = decide(going.stream().filter(p -> !kept.contains(p)).toList(), gc, rootedSince, referrers,
                            validOutside, kept);
                }
                List<PathInfo> gone = going.stream().map(p -> scanned.get(p).stored().info()).toList();
                tables.stats().add(-gone.size(), -gone.stream().mapToLong(PathInfo::narSize).sum());
                for (PathInfo info : gone) {
                    deleted.add(info.path());
                    freed += info.narSize();
                }
                forgetting.add(behind.submit(() -> forget(gone, realisationsByOutput)));
                progress.set("deleted", deleted.size());
                progress.set("bytesFreed", freed);
                progress.record(CollectionState.DELETING);
            }
        }
        for (Future<?> f : forgetting) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while removing what deleted paths left");
            }
        }
        LOG.info(() -> "collection " + gc + ": " + marked.size() + " paths marked, " + deleted.size() + " deleted");
        return new Deletion(deleted, freed);
    }

    /**
     * Paths deleted together, in one transaction: as they go at once and in referrers-first order, no
     * path is ever valid without a reference (a batch's referrers went in an earlier batch, or go with it).
     */
    static final int DELETE_BATCH = PathInfoTable.DELETE_LIMIT;

    /**
     * Which of {@code batch} (referrers first) may go: not rooted since the first reading, and with no
     * referrer that stays (a valid one we did not mark, or one we keep). The others are kept and unmarked.
     */
    private List<StorePath> decide(List<StorePath> batch, String gc, Set<StorePath> rootedSince,
                                   Map<StorePath, List<StorePath>> referrers, Set<StorePath> validOutside, Set<StorePath> kept) {
        List<StorePath> going = new ArrayList<>();
        for (StorePath p : batch) {
            boolean live = rootedSince.contains(p) || referrers.getOrDefault(p, List.of()).stream()
                    .anyMatch(r -> !r.equals(p) && (validOutside.contains(r) || kept.contains(r)));
            if (live) {
                kept.add(p);
                tables.paths().unmark(p.hashPart(), gc);
            } else {
                going.add(p);
            }
        }
        return going;
    }

    /** Waits until {@link Deletions#ANNOUNCE_MILLIS} have passed since the announcement began. */
    private static void awaitAnnouncement(long announcedNanos) {
        long left = Deletions.ANNOUNCE_MILLIS - (System.nanoTime() - announcedNanos) / 1_000_000;
        if (left > 0) {
            try {
                Thread.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted before deleting");
            }
        }
    }

    /** What deleted paths leave behind: their edges, derivation outputs, realisations and narinfos. */
    private void forget(List<PathInfo> infos, Map<String, List<String>> realisationsByOutput) {
        tables.referrers().deleteEdges(infos);
        List<String> objects = new ArrayList<>();
        for (PathInfo info : infos) {
            if (info.path().isDerivation()) {
                tables.derivationOutputs().delete(info.path());
            }
            for (String id : realisationsByOutput.getOrDefault(info.path().baseName(), List.of())) {
                tables.realisations().delete(id);
                objects.add(BinaryCacheLayout.realisationKey(DrvOutput.parse(storeDir, id)));
            }
            objects.add(BinaryCacheLayout.narInfoKey(info.path()));
        }
        try {
            bucket.deleteAll(objects);
        } catch (IOException e) {
            // The paths are gone; objects left behind are swept as unreferenced by a later collection.
            LOG.log(Level.WARNING, "removing the bucket objects of " + infos.size() + " deleted paths failed", e);
        }
    }

    /**
     * Removes NAR files no path refers to and narinfos of paths that are not valid, if older than
     * {@code cutoff}: aborted uploads, and what deleted paths left. A path registered after the scan
     * has its NAR uploaded or touched and its narinfo written recently, so the grace period keeps them.
     */
    private List<String> sweepBucket(Map<StorePath, Scanned> scanned, List<StorePath> deleted, long cutoff) {
        Set<StorePath> gone = new HashSet<>(deleted);
        Set<String> nars = new HashSet<>();
        Set<String> hashParts = new HashSet<>();
        scanned.forEach((p, s) -> {
            if (!gone.contains(p)) {
                s.stored().nar().ifPresent(n -> nars.add(n.key()));
                hashParts.add(p.hashPart());
            }
        });
        List<String> removed = new ArrayList<>();
        try {
            bucket.list("", o -> {
                if (o.lastModified().getEpochSecond() >= cutoff) {
                    return;
                }
                String hashPart = BinaryCacheLayout.hashPartOfNarInfoKey(o.key());
                boolean orphan = o.key().startsWith(BinaryCacheLayout.NAR_PREFIX) ? !nars.contains(o.key())
                        : hashPart != null && !hashParts.contains(hashPart);
                if (orphan) {
                    removed.add(o.key());
                }
            });
            bucket.deleteAll(removed); // DeleteObjects, 1,000 keys a request
        } catch (IOException e) {
            throw new UncheckedIOException("sweeping the store bucket: " + e.getMessage(), e);
        }
        return removed;
    }

    private List<String> print(List<StorePath> paths) {
        return paths.stream().map(storeDir::print).toList();
    }
}
