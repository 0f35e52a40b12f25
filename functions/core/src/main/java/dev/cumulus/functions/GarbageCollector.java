package dev.cumulus.functions;

import dev.cumulus.functions.CollectionFiles.Batch;
import dev.cumulus.functions.CollectionFiles.Doomed;
import dev.cumulus.functions.CollectionFiles.Plan;
import dev.cumulus.functions.CollectionFiles.Referrers;
import dev.cumulus.functions.CollectionFiles.Request;
import dev.cumulus.functions.CollectionFiles.Result;
import dev.cumulus.functions.CollectionFiles.Rooted;
import dev.cumulus.functions.CollectionFiles.ScannedPath;
import dev.cumulus.functions.CollectionFiles.ScannedSegment;
import dev.cumulus.functions.CollectionFiles.SweepPart;
import dev.cumulus.functions.tables.BuildsTable;
import dev.cumulus.functions.tables.PathInfoTable.Marking;
import dev.cumulus.functions.tables.RootsTable;
import dev.cumulus.functions.tables.RootsTable.CollectionLostException;
import dev.cumulus.functions.tables.RootsTable.Stage;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionReport;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Closure-aware garbage collection of the store, safe against uploads and builds running meanwhile,
 * at any size: a collection is a record in the roots table and a series of steps on the
 * collection-steps queue, each small enough for one invocation, handing each other their results
 * through the bucket ({@link CollectionFiles}). Its stages, each starting once every step of the
 * one before is done (the record counts them, each step once however often it runs):
 * <ol>
 * <li>{@code scan}: every path, a scan segment a step;</li>
 * <li>{@code plan}: then the roots and builds (so a path scanned was rooted, if at all, before the
 *     roots were read: registrations write temporary roots before committing); what they reach is
 *     live, the rest dead; the dead are put in levels, referrers before the paths they refer to, and
 *     the levels in batches; the collection announces that it deletes and takes a lease;</li>
 * <li>{@code mark}: each dead path of a batch is marked with the collection's id, on the condition
 *     that it is as scanned, then its referrers are read (a referrer registered since the scan checked
 *     it unmarked, so it is found here);</li>
 * <li>{@code recheck}: the roots and builds are read again: a path rooted since is kept;</li>
 * <li>{@code delete}, wave by wave (a wave's batches at once, the next after them): a marked path
 *     that is rooted since or has a referrer still valid (a new one, or one kept in an earlier wave)
 *     is kept and unmarked, else deleted on the condition that it is still marked by us (whoever roots
 *     or refers to a path clears marks first), {@value #DELETE_AT_ONCE} in a transaction, then its
 *     derivation outputs and realisations: the item is the commit point, so a path is never valid
 *     without its NAR, nor without a reference;</li>
 * <li>{@code forget}, a batch a step: the deleted paths' referrer edges and narinfos (readers filter
 *     edges by their referrer's validity, and a narinfo's NAR file stays for the grace period); a
 *     whole-store collection's caller is answered as it begins;</li>
 * <li>{@code sweep}: NAR and narinfo objects no path refers to and older than the grace period, a
 *     part of the bucket a step ({@link BucketParts}), each knowing from the plan what of its part
 *     the scan saw in use;</li>
 * <li>{@code finish}: the collection's record says it is done.</li>
 * </ol>
 * A step that runs again (its invocation died or was cut off, or the queue delivered it twice) does
 * its work again harmlessly; a step that fails fails the collection, whose marks the next takes over.
 * The collection's lease, renewed by every step, keeps its marks from others; once it runs out the
 * next collection abandons it, after which none of its deletes can commit.
 *
 * <p>A path is live if a root reaches it through references: a named root, a temporary root of a
 * connection whose lease holds, an input of a queued or running build, an output of a build that
 * finished in the last {@value #FINISHED_BUILD_HOLD_SECONDS} seconds (its clients root it when they
 * hear of it), and, as Nix's {@code keep-derivations}, the deriver of a live path.
 */
public final class GarbageCollector {
    static final long FINISHED_BUILD_HOLD_SECONDS = 600;
    private static final Logger LOG = Logger.getLogger(GarbageCollector.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Paths one scan step reads at most (the store's count from its totals): well inside an invocation. */
    static final long SEGMENT_PATHS = 100_000;
    /** Scan steps at least. */
    static final int MIN_SEGMENTS = 1;
    /** Dead paths one mark or delete step takes at most: thirty transactions. */
    static final int BATCH_PATHS = 30 * GarbageCollector.DELETE_AT_ONCE;
    /** Paths (a narinfo and a NAR file each) whose objects one sweep step lists, about. */
    static final long SWEEP_PATHS = 25_000;
    /** Keys one DeleteObjects request removes. */
    static final int DELETE_REQUEST_KEYS = 1000;
    /** Paths one page of a listing holds. */
    static final int PAGE_PATHS = 10_000;
    /** Paths deleted in one transaction: a transaction's items, less the collection's check. */
    static final int DELETE_AT_ONCE = dev.cumulus.functions.tables.PathInfoTable.DELETE_LIMIT;
    /** Collection files older than this, of collections other than the sweeping one, go with the sweep. */
    static final long FILES_KEPT_SECONDS = 24 * 3600;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final long defaultGraceSeconds;
    private final Clock clock;
    private final JobQueue<CollectionStep> queue;
    private final Metrics metrics;
    private final Interleaving interleaving;
    private final long sweepPaths;
    private final SweepFence fence;

    public GarbageCollector(StoreTables tables, Bucket bucket, StoreDir storeDir, long defaultGraceSeconds, Clock clock,
                            JobQueue<CollectionStep> queue, Metrics metrics) {
        this(tables, bucket, storeDir, defaultGraceSeconds, clock, queue, metrics, Interleaving.NONE, SWEEP_PATHS);
    }

    /** Tests choose the interleaving, and how many paths a sweep step takes (to sweep a small store in parts). */
    GarbageCollector(StoreTables tables, Bucket bucket, StoreDir storeDir, long defaultGraceSeconds, Clock clock,
                     JobQueue<CollectionStep> queue, Metrics metrics, Interleaving interleaving, long sweepPaths) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
        this.defaultGraceSeconds = defaultGraceSeconds;
        this.clock = clock;
        this.queue = queue;
        this.metrics = metrics;
        this.interleaving = interleaving;
        this.sweepPaths = sweepPaths;
        this.fence = new SweepFence(tables, bucket, storeDir);
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

        /** {@code paths} are deleted; their derivation outputs and realisations are about to go. */
        default void deleted(List<StorePath> paths) {}

        /** {@code paths} were deleted; their edges, narinfos and the like are about to go. */
        default void forgetting(List<StorePath> paths) {}

        /** A sweep step listed its part of the bucket and is about to remove {@code keys}. */
        default void sweeping(List<String> keys) {}
    }

    /** Starts a collection: records it and queues its scan; it runs on in {@link #handle}. */
    public CollectionState start(CollectGarbage request) {
        String action = request.action() == null ? CollectGarbage.DELETE_DEAD : request.action();
        if (!List.of(CollectGarbage.RETURN_LIVE, CollectGarbage.RETURN_DEAD, CollectGarbage.DELETE_DEAD,
                CollectGarbage.DELETE_SPECIFIC).contains(action)) {
            throw new StoreException("unknown garbage collector action '" + action + "'");
        }
        if (!request.specific() && action.equals(CollectGarbage.DELETE_SPECIFIC)) {
            throw new StoreException("Cannot delete the entire store");
        }
        long now = clock.instant().getEpochSecond();
        String gc = "gc-" + now + "-" + Long.toHexString(RANDOM.nextLong());
        long paths = tables.stats().totals().paths();
        int segments = (int) Math.max(MIN_SEGMENTS, Math.min(10_000, (paths + SEGMENT_PATHS - 1) / SEGMENT_PATHS));
        new CollectionFiles(bucket, gc).putRequest(new Request(new CollectGarbage(action, request.paths(),
                request.deleteReferrers(), request.maxFreed(), request.graceSeconds()), segments));
        tables.roots().startCollection(gc, CollectionStep.SCAN, segments, now);
        for (int segment = 0; segment < segments; segment++) {
            queue.send(new CollectionStep(gc, CollectionStep.SCAN, 0, segment, null));
        }
        return stage(gc).state();
    }

    /** A collection's state and, once its deletions are over (it sweeps, or is done), a page of its paths. */
    public CollectionReport report(QueryCollection query) {
        if (query.id() == null) {
            throw new StoreException("'id' is missing");
        }
        Stage stage = stage(query.id());
        CollectionState state = stage.state();
        if (!state.phase().equals(CollectionState.DONE) && !state.phase().equals(CollectionState.SWEEPING)) {
            return new CollectionReport(state, List.of(), -1);
        }
        CollectionFiles files = new CollectionFiles(bucket, state.id());
        Plan plan = files.plan(stage.plan());
        if (query.page() < 0 || query.page() >= plan.results()) {
            return new CollectionReport(state, List.of(), -1);
        }
        return new CollectionReport(state, files.result(stage.plan(), query.page()).paths(),
                query.page() + 1 < plan.results() ? query.page() + 1 : -1);
    }

    private Stage stage(String gc) {
        return tables.roots().stage(gc).orElseThrow(() -> new StoreException("there is no collection '" + gc + "'"));
    }

    /** The collection-steps function: each message is one step of a collection. */
    public MessagesHandled handle(QueueMessages messages) {
        return messages.each(CollectionStep.class, this::step);
    }

    /**
     * Runs one step, if its collection is still at its stage (else it ran before and this is a late
     * copy). A step that fails fails its collection, unless the invocation is being cut off: then it
     * comes back, and the collection goes on.
     */
    public void step(CollectionStep step) {
        Optional<Stage> at = tables.roots().stage(step.gc());
        if (at.isEmpty() || !at.get().state().running()) {
            return;
        }
        if (!at.get().stage().equals(step.recorded())) {
            LOG.fine(() -> "collection " + step.gc() + " is past " + step.recorded() + " #" + step.index());
            if (at.get().previous().equals(step.recorded()) && at.get().done() == 0) {
                // The run that moved the collection on may have died before it queued the new
                // stage's steps, and this is that step come back: queue them (twice is harmless).
                queue(step.gc(), Next.of(at.get()));
            }
            return;
        }
        Stage stage = at.get();
        CollectionFiles files = new CollectionFiles(bucket, step.gc());
        long started = System.nanoTime();
        try {
            switch (step.stage()) {
                case CollectionStep.SCAN -> scan(step, files, stage);
                case CollectionStep.PLAN -> plan(step, files);
                case CollectionStep.MARK -> mark(step, files, stage);
                case CollectionStep.RECHECK -> recheck(step, files, stage);
                case CollectionStep.DELETE -> delete(step, files, stage);
                case CollectionStep.FORGET -> forget(step, files);
                case CollectionStep.SWEEP -> sweep(step, files, stage);
                case CollectionStep.FINISH -> finish(step, files, stage);
                default -> throw new StoreException("unknown collection stage '" + step.stage() + "'");
            }
            LOG.info(() -> String.format(java.util.Locale.ROOT, "collection %s: %s #%d took %d ms", step.gc(), step.recorded(),
                    step.index(), (System.nanoTime() - started) / 1_000_000));
        } catch (CollectionLostException taken) {
            LOG.warning(() -> taken.getMessage());
        } catch (RuntimeException | Error e) {
            if (cutOff(e)) {
                throw e; // the invocation is being cut off: the step comes back and runs again
            }
            LOG.log(Level.WARNING, "collection " + step.gc() + " failed in " + step.recorded(), e);
            tables.roots().finishCollection(step.gc(), CollectionState.FAILED, String.valueOf(e.getMessage()), Map.of(),
                    now());
            tables.roots().forgetSteps(step.gc());
            metrics.count(StoreMetrics.GC_RUNS, 1, "failed");
        }
    }

    /** Whether {@code e} comes of the invocation being interrupted (its thread, or a call it made). */
    private static boolean cutOff(Throwable e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                    || t instanceof java.nio.channels.ClosedByInterruptException
                    || t instanceof software.amazon.awssdk.core.exception.AbortedException) {
                return true;
            }
        }
        return false;
    }

    private void scan(CollectionStep step, CollectionFiles files, Stage stage) {
        List<ScannedPath> paths = new ArrayList<>();
        tables.paths().scanSegment(step.index(), (int) stage.steps(), s -> paths.add(new ScannedPath(
                s.stored().info().path().baseName(),
                s.stored().info().references().stream().map(StorePath::baseName).toList(),
                s.stored().info().deriver().map(StorePath::baseName).orElse(null), s.stored().info().narSize(),
                s.stored().info().registrationTime(), s.mark().orElse(null),
                s.stored().nar().map(n -> n.key()).orElse(null))));
        files.putSegment(step.index(), new ScannedSegment(paths));
        done(step, Map.of("scanned", (long) paths.size()), null, () -> new Next(CollectionStep.PLAN, 0, 1, null));
    }

    /**
     * Every path the scan read, by path, in the order of the segments, which the plan holds at once:
     * read {@value CollectionFiles#AT_ONCE} segments at a time, each {@link #index}ed before the next
     * are read, so the store's names are held once each.
     */
    private Map<StorePath, ScannedPath> scanned(CollectionFiles files, int segments) {
        Map<StorePath, ScannedPath> scanned = new LinkedHashMap<>();
        Map<String, String> names = new HashMap<>();
        for (int from = 0; from < segments; from += CollectionFiles.AT_ONCE) {
            files.segments(from, Math.min(segments, from + CollectionFiles.AT_ONCE)).forEach(s -> index(s, names, scanned));
        }
        return scanned;
    }

    /**
     * Adds a segment's paths to {@code scanned}, every name in them (the path's own, its references',
     * its deriver's) replaced by the one string {@code names} holds for it. Read from JSON, each
     * reference is a string of its own of about 100 bytes, the same name again in every referrer; at
     * millions of paths those copies were most of the plan's memory.
     */
    static void index(ScannedSegment segment, Map<String, String> names, Map<StorePath, ScannedPath> scanned) {
        for (ScannedPath p : segment.paths()) {
            String path = names.computeIfAbsent(p.path(), n -> n);
            List<String> references = p.references().stream().map(r -> names.computeIfAbsent(r, n -> n)).toList();
            String deriver = p.deriver() == null ? null : names.computeIfAbsent(p.deriver(), n -> n);
            scanned.put(StorePath.parseBaseName(path), new ScannedPath(path, references, deriver, p.narSize(),
                    p.registrationTime(), p.mark(), p.narKey()));
        }
    }

    private void plan(CollectionStep step, CollectionFiles files) {
        Request request = files.request();
        CollectGarbage asked = request.request();
        Map<StorePath, ScannedPath> scanned = scanned(files, request.segments());
        long now = now();
        Set<StorePath> live = closure(roots(now), scanned);
        String plan = "plan-" + Long.toHexString(RANDOM.nextLong());
        if (asked.action().equals(CollectGarbage.RETURN_LIVE) || asked.action().equals(CollectGarbage.RETURN_DEAD)) {
            List<String> listed = (asked.action().equals(CollectGarbage.RETURN_LIVE)
                    ? scanned.keySet().stream().filter(live::contains)
                    : scanned.keySet().stream().filter(p -> !live.contains(p))).sorted().map(storeDir::print).toList();
            int pages = (listed.size() + PAGE_PATHS - 1) / PAGE_PATHS;
            for (int page = 0; page < pages; page++) {
                files.putResult(plan, page, new Result(listed.subList(page * PAGE_PATHS,
                        Math.min(listed.size(), (page + 1) * PAGE_PATHS)), List.of()));
            }
            files.putPlan(plan, new Plan(0, List.of(), pages, 0, List.of(), null, 0, true));
            done(step, Map.of(), null, () -> new Next(CollectionStep.FINISH, 0, 1, plan));
            return;
        }
        List<StorePath> doomed;
        String refusal = null;
        List<String> requested = List.of();
        if (asked.specific()) {
            Specific specific = doomedSpecific(asked, scanned, live);
            doomed = specific.doomed();
            refusal = specific.refusal();
            requested = asked.paths();
        } else {
            doomed = scanned.keySet().stream().filter(p -> !live.contains(p)).sorted().toList();
        }
        List<StorePath> ordered = referrersFirst(doomed, scanned);
        Set<String> stale = staleMarks(scanned, now);
        interleaving.scanned(ordered);
        long maxFreed = asked.maxFreed() < 0 ? Long.MAX_VALUE : asked.maxFreed();
        List<StorePath> candidates = new ArrayList<>();
        long planned = 0;
        for (StorePath p : ordered) {
            if (planned >= maxFreed) {
                break;
            }
            ScannedPath s = scanned.get(p);
            if (s.mark() == null || stale.contains(s.mark())) {
                candidates.add(p);
                planned += s.narSize();
            }
        }
        boolean sweep = !asked.specific() && (maxFreed == Long.MAX_VALUE || planned < maxFreed);
        int sweeps = 0;
        if (sweep) {
            BucketParts parts = BucketParts.of((int) Math.max(1, Math.min(BucketParts.MAX,
                    (scanned.size() + sweepPaths - 1) / sweepPaths)));
            files.putSweepParts(plan, sweepParts(parts, scanned, new HashSet<>(candidates)));
            sweeps = parts.size();
        }
        long edges = scanned.values().stream().mapToLong(s -> s.references().size()).sum();
        List<List<Doomed>> batches = batches(candidates, scanned, realisationsByOutput(candidates));
        files.putBatches(plan, batches.stream().map(Batch::new).toList());
        List<Integer> waveStarts = new ArrayList<>();
        for (int b = 0; b < batches.size(); b++) {
            if (b == 0 || batches.get(b).getFirst().level() != batches.get(b - 1).getLast().level()) {
                waveStarts.add(b);
            }
        }
        Plan content = new Plan(batches.size(), waveStarts, batches.size(), edges, requested, refusal, sweeps, false);
        files.putPlan(plan, content);
        if (batches.isEmpty()) {
            done(step, Map.of("dead", 0L), null, () -> wave(content, 0, plan));
            return;
        }
        // Proxies cache path infos: announce the deletions first, so that by the time the first path
        // goes every proxy has stopped serving what it holds (see Deletions).
        tables.roots().beginDeletions(step.gc(), now + Deletions.LEASE_SECONDS, clock.millis());
        done(step, Map.of("dead", (long) candidates.size()), null,
                () -> new Next(CollectionStep.MARK, 0, batches.size(), plan));
    }

    /**
     * The candidates (referrers first) in levels: a path's level is one more than the highest of the
     * candidates that refer to it, so the paths of a level refer to none of each other. Consecutive
     * small levels share a batch (deleted level by level by one step), which is a wave of its own; a
     * level larger than a batch is several batches of that level alone, a wave that goes at once.
     */
    private List<List<Doomed>> batches(List<StorePath> candidates, Map<StorePath, ScannedPath> scanned,
                                       Map<String, List<String>> realisations) {
        Set<StorePath> among = new HashSet<>(candidates);
        Map<StorePath, Integer> level = new HashMap<>();
        for (StorePath p : candidates) {
            level.putIfAbsent(p, 0);
            for (String ref : scanned.get(p).references()) {
                StorePath r = StorePath.parseBaseName(ref);
                if (among.contains(r) && !r.equals(p)) {
                    level.merge(r, level.get(p) + 1, Math::max);
                }
            }
        }
        List<StorePath> byLevel = new ArrayList<>(candidates);
        byLevel.sort(java.util.Comparator.comparingInt(level::get)); // stable: referrers first within a level too
        List<List<Doomed>> batches = new ArrayList<>();
        List<Doomed> open = new ArrayList<>();
        int from = 0;
        while (from < byLevel.size()) {
            int lv = level.get(byLevel.get(from));
            int to = from;
            while (to < byLevel.size() && level.get(byLevel.get(to)) == lv) {
                to++;
            }
            List<Doomed> thisLevel = byLevel.subList(from, to).stream().map(p -> new Doomed(scanned.get(p), lv,
                    realisations.getOrDefault(p.baseName(), List.of()))).toList();
            if (open.size() + thisLevel.size() <= BATCH_PATHS) {
                open.addAll(thisLevel);
            } else {
                if (!open.isEmpty()) {
                    batches.add(open);
                    open = new ArrayList<>();
                }
                if (thisLevel.size() <= BATCH_PATHS) {
                    open.addAll(thisLevel);
                } else {
                    for (int i = 0; i < thisLevel.size(); i += BATCH_PATHS) {
                        batches.add(new ArrayList<>(thisLevel.subList(i, Math.min(thisLevel.size(), i + BATCH_PATHS))));
                    }
                }
            }
            from = to;
        }
        if (!open.isEmpty()) {
            batches.add(open);
        }
        return batches;
    }

    /** The realisations that name each candidate as their output, by base name. */
    private Map<String, List<String>> realisationsByOutput(List<StorePath> candidates) {
        if (candidates.isEmpty()) {
            return Map.of();
        }
        Set<String> wanted = new HashSet<>();
        candidates.forEach(p -> wanted.add(p.baseName()));
        Map<String, List<String>> out = new HashMap<>();
        tables.realisations().scanOutPaths().forEach((id, outPath) -> {
            if (wanted.contains(outPath)) {
                out.computeIfAbsent(outPath, k -> new ArrayList<>()).add(id);
            }
        });
        return out;
    }

    private void mark(CollectionStep step, CollectionFiles files, Stage stage) {
        Plan plan = files.plan(step.plan());
        Batch batch = files.batch(step.plan(), step.index());
        List<Marking> markings = batch.paths().stream().map(d -> new Marking(
                StorePath.parseBaseName(d.scanned().path()).hashPart(), d.scanned().registrationTime(),
                Optional.ofNullable(d.scanned().mark()))).toList();
        Set<String> marked = new HashSet<>(tables.paths().markAll(markings, step.gc(),
                tables.roots().stillMarking(step.gc(), step.recorded())));
        List<StorePath> markedPaths = batch.paths().stream().map(d -> StorePath.parseBaseName(d.scanned().path()))
                .filter(p -> marked.contains(p.hashPart())).toList();
        // Referrers registered since the scan (their registration found the path unmarked), read now
        // that the marks are on: a later one finds the mark and clears it, failing our delete.
        Map<StorePath, List<StorePath>> referrers = tables.referrers().referrersOfAll(markedPaths, plan.edges());
        Map<String, List<String>> byPath = new LinkedHashMap<>();
        for (StorePath p : markedPaths) {
            byPath.put(p.baseName(), referrers.getOrDefault(p, List.of()).stream().map(StorePath::baseName).toList());
        }
        files.putReferrers(step.plan(), step.index(), new Referrers(byPath));
        done(step, Map.of("marked", (long) markedPaths.size()), null,
                () -> new Next(CollectionStep.RECHECK, 0, 1, null));
    }

    private void recheck(CollectionStep step, CollectionFiles files, Stage stage) {
        Plan plan = files.plan(stage.plan());
        if (interleaving != Interleaving.NONE) {
            List<StorePath> marked = new ArrayList<>();
            for (int b = 0; b < plan.batches(); b++) {
                files.referrers(stage.plan(), b).byPath().keySet().forEach(p -> marked.add(StorePath.parseBaseName(p)));
            }
            interleaving.marked(marked);
        }
        // Roots written since the first reading, now that our marks are on: their writers revive
        // what they root after writing, so what is rooted and not seen here will fail our delete.
        files.putRooted(stage.plan(), new Rooted(roots(now()).stream().map(StorePath::baseName).sorted().toList()));
        awaitAnnouncement(stage.announcedAtMillis());
        done(step, Map.of(), null, () -> wave(plan, 0, stage.plan()));
    }

    /** Delete wave {@code wave} of {@code plan}, or once there is none left, the forget (or with nothing deleted, the sweep or the finish). */
    private static Next wave(Plan plan, int wave, String planId) {
        if (wave < plan.waves()) {
            return new Next(CollectionStep.DELETE, wave, plan.waveEnd(wave) - plan.waveStarts().get(wave), planId);
        }
        // The caller hears of the deleted paths before what they left is forgotten, unless it asked
        // for particular paths, whose refusal the finish decides.
        return plan.batches() > 0 ? new Next(CollectionStep.FORGET, 0, plan.batches(), planId,
                plan.requested().isEmpty() && plan.refusal() == null) : afterForgetting(plan, planId);
    }

    private static Next afterForgetting(Plan plan, String planId) {
        return plan.sweeps() > 0 ? new Next(CollectionStep.SWEEP, 0, plan.sweeps(), planId, true)
                : new Next(CollectionStep.FINISH, 0, 1, planId);
    }

    private void delete(CollectionStep step, CollectionFiles files, Stage stage) {
        String gc = step.gc();
        Batch batch = files.batch(step.plan(), step.index());
        Map<String, List<String>> referrers = files.referrers(step.plan(), step.index()).byPath();
        Set<String> rooted = new HashSet<>(files.rooted(step.plan()).paths());
        List<Doomed> gone = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<Doomed> ours = new ArrayList<>(); // referrers first: the batch is in level order
        for (Doomed d : batch.paths()) {
            if (!referrers.containsKey(d.scanned().path())) {
                continue; // not marked by us: changed since the scan, or another collection's
            }
            ours.add(d);
        }
        long renewed = System.nanoTime();
        // A referrer outside this step that is valid stays: a new path, or one an earlier wave kept
        // (those it deleted are gone). One of this step stays if the step keeps it; those it
        // deletes went before (referrers first) or go at once with the paths they refer to.
        Set<String> inStep = new HashSet<>();
        ours.forEach(d -> inStep.add(d.scanned().path()));
        Set<StorePath> outside = new HashSet<>();
        ours.forEach(d -> referrers.get(d.scanned().path()).stream().filter(r -> !inStep.contains(r))
                .forEach(r -> outside.add(StorePath.parseBaseName(r))));
        Set<StorePath> validOutside = new HashSet<>(tables.paths().valid(outside));
        Set<StorePath> keptHere = new HashSet<>();
        for (int from = 0; from < ours.size(); from += DELETE_AT_ONCE) {
            List<Doomed> chunk = ours.subList(from, Math.min(ours.size(), from + DELETE_AT_ONCE));
            Set<StorePath> keptBefore = new HashSet<>(keptHere);
            List<Doomed> pending = new ArrayList<>(chunk);
            while (true) {
                List<Doomed> going = decide(pending, gc, rooted, referrers, validOutside, keptHere);
                going.forEach(d -> interleaving.deleting(StorePath.parseBaseName(d.scanned().path())));
                Set<String> failed = tables.deleteMarked(going.stream()
                        .map(d -> StorePath.parseBaseName(d.scanned().path()).hashPart()).toList(), gc);
                if (failed.isEmpty()) {
                    gone.addAll(going);
                    forgetOutputs(going);
                    break;
                }
                // Nothing of the chunk went. A path whose delete failed is gone already (a run of this
                // step before this one deleted it) or was revived: it stays (its mark is off), and so
                // does what of the chunk it refers to.
                Set<String> present = tables.paths().getAll(failed).keySet();
                List<Doomed> goneEarlier = new ArrayList<>();
                for (Doomed d : going) {
                    StorePath p = StorePath.parseBaseName(d.scanned().path());
                    if (failed.contains(p.hashPart())) {
                        if (present.contains(p.hashPart())) {
                            keptHere.add(p);
                        } else {
                            goneEarlier.add(d);
                        }
                    }
                }
                gone.addAll(goneEarlier);
                forgetOutputs(goneEarlier);
                pending.removeAll(goneEarlier);
            }
            keptHere.stream().filter(p -> !keptBefore.contains(p)).forEach(p -> kept.add(storeDir.print(p)));
            if (System.nanoTime() - renewed > RENEW_NANOS) {
                tables.roots().renewLease(gc, lease(), now());
                renewed = System.nanoTime();
            }
        }
        long freed = gone.stream().mapToLong(d -> d.scanned().narSize()).sum();
        files.putResult(step.plan(), step.index(), new Result(gone.stream()
                .map(d -> storeDir.print(StorePath.parseBaseName(d.scanned().path()))).toList(), kept));
        Plan plan = files.plan(step.plan());
        done(step, Map.of("deleted", (long) gone.size(), "bytesFreed", freed),
                () -> tables.stats().add(-gone.size(), -freed), () -> wave(plan, step.wave() + 1, step.plan()));
    }

    /**
     * Which of {@code chunk} (referrers first) may go: not rooted since the first reading, and with no
     * referrer that stays (a valid one outside the step, or one the step keeps). Those that may not
     * are added to {@code kept} and unmarked.
     */
    private List<Doomed> decide(List<Doomed> chunk, String gc, Set<String> rooted, Map<String, List<String>> referrers,
                                Set<StorePath> validOutside, Set<StorePath> kept) {
        List<Doomed> out = new ArrayList<>();
        for (Doomed d : chunk) {
            StorePath p = StorePath.parseBaseName(d.scanned().path());
            if (kept.contains(p)) {
                continue;
            }
            boolean live = rooted.contains(d.scanned().path()) || referrers.get(d.scanned().path()).stream()
                    .map(StorePath::parseBaseName).anyMatch(r -> !r.equals(p) && (kept.contains(r) || validOutside.contains(r)));
            if (live) {
                kept.add(p);
                tables.paths().unmark(p.hashPart(), gc);
            } else {
                out.add(d);
            }
        }
        return out;
    }

    /** The lease is renewed within a step this often at least, well inside {@link Deletions#LEASE_SECONDS}. */
    private static final long RENEW_NANOS = Deletions.LEASE_SECONDS / 4 * 1_000_000_000L;

    /**
     * The derivation outputs and realisations of deleted paths, which readers take as they are (a
     * realisation names its output whether or not it is valid), so they go with their paths; but
     * not those of a path added again since its delete.
     */
    private void forgetOutputs(List<Doomed> gone) {
        if (gone.isEmpty()) {
            return;
        }
        interleaving.deleted(gone.stream().map(d -> StorePath.parseBaseName(d.scanned().path())).toList());
        for (Doomed d : gone) {
            tables.forgetOutputs(StorePath.parseBaseName(d.scanned().path()), d.realisations());
        }
    }

    /**
     * A forget step: what batch {@code index}'s deleted paths left behind, once the caller may have
     * heard of them. Their referrer edges (readers take a referrer only if it is valid) and the
     * narinfo and realisation objects in the bucket (their NAR files stay for the grace period, so
     * until then the bucket still holds each whole); then whatever of it a path added again since wrote.
     */
    private void forget(CollectionStep step, CollectionFiles files) {
        Set<String> deleted = new HashSet<>(files.result(step.plan(), step.index()).paths());
        Map<StorePath, List<StorePath>> references = new LinkedHashMap<>();
        List<String> objects = new ArrayList<>();
        for (Doomed d : files.batch(step.plan(), step.index()).paths()) {
            StorePath p = StorePath.parseBaseName(d.scanned().path());
            if (!deleted.contains(storeDir.print(p))) {
                continue;
            }
            references.put(p, d.scanned().references().stream().map(StorePath::parseBaseName).toList());
            d.realisations().forEach(id -> objects.add(BinaryCacheLayout.realisationKey(DrvOutput.parse(storeDir, id))));
            objects.add(BinaryCacheLayout.narInfoKey(p));
        }
        if (!references.isEmpty()) {
            interleaving.forgetting(List.copyOf(references.keySet()));
            tables.referrers().deleteEdges(references);
            try {
                bucket.deleteAll(objects);
            } catch (IOException e) {
                // The paths are gone; objects left behind are swept as unreferenced by a later collection.
                LOG.log(Level.WARNING, "removing the bucket objects of " + references.size() + " deleted paths failed", e);
            }
            restore(references.keySet().stream().map(StorePath::hashPart).toList(), true);
        }
        Plan plan = files.plan(step.plan());
        done(step, Map.of(), null, () -> afterForgetting(plan, step.plan()));
    }

    /**
     * Writes again the narinfo (and with {@code edges}, the referrer edges) of each path among
     * {@code hashParts} that is valid now: one added again after the collection deleted it wrote them
     * just before the collection removed them. (One that becomes valid after this read writes its
     * narinfo after the removal, and its edges in its commit, or again after it.)
     */
    private void restore(Collection<String> hashParts, boolean edges) {
        if (hashParts.isEmpty()) {
            return;
        }
        Collection<StoredPath> again = tables.paths().getAll(hashParts).values();
        if (edges && !again.isEmpty()) {
            tables.referrers().putEdges(again.stream().map(StoredPath::info).toList());
        }
        for (StoredPath path : again) {
            if (path.nar().isPresent()) {
                try {
                    BinaryCacheLayout.putNarInfo(bucket, storeDir, path.nar().get().narInfo(path.info()));
                } catch (IOException e) {
                    throw new UncheckedIOException("writing the narinfo of '" + storeDir.print(path.info().path())
                            + "' again: " + e.getMessage(), e);
                }
            }
        }
    }

    /** The first step after the deletes says the collection deletes no more (later ones find it said). */
    private void endDeletions(String gc, Stage stage, long now) {
        if (stage.state().phase().equals(CollectionState.DELETING)) {
            tables.roots().endDeletions(gc, CollectionState.SWEEPING, now);
        }
    }

    private void sweep(CollectionStep step, CollectionFiles files, Stage stage) {
        long now = now();
        endDeletions(step.gc(), stage, now);
        Plan plan = files.plan(step.plan());
        long cutoff = now - grace(files.request().request());
        SweepPart part = files.sweepPart(step.plan(), step.index());
        String id = step.gc() + "/" + step.index() + "/" + Long.toHexString(RANDOM.nextLong());
        long removed = fence.sweeping(id, until ->
                sweepBucket(step.gc(), BucketParts.of(plan.sweeps()).prefixes(step.index()), part, cutoff, until));
        done(step, Map.of("removedObjects", removed), null, () -> new Next(CollectionStep.FINISH, 0, 1, null));
    }

    private void finish(CollectionStep step, CollectionFiles files, Stage stage) {
        String gc = step.gc();
        long now = now();
        endDeletions(gc, stage, now);
        Plan plan = files.plan(step.plan());
        String error = plan.refusal();
        if (error == null && !plan.requested().isEmpty()) {
            // A requested path the plan doomed but that a writer revived meanwhile is alive after all.
            Set<String> gone = new HashSet<>();
            Set<StorePath> planned = new HashSet<>();
            for (int b = 0; b < plan.batches(); b++) {
                gone.addAll(files.result(step.plan(), b).paths());
                files.batch(step.plan(), b).paths().forEach(d -> planned.add(StorePath.parseBaseName(d.scanned().path())));
            }
            error = PathQueries.parseAll(storeDir, plan.requested()).stream()
                    .filter(p -> planned.contains(p) && !gone.contains(storeDir.print(p))).sorted().findFirst()
                    .map(this::stillAlive).orElse(null);
        }
        boolean first = tables.roots().completeStep(gc, step.recorded(), 0, Map.of(), now, now);
        CollectionState ended = stage(gc).state();
        tables.roots().finishCollection(gc, error == null ? CollectionState.DONE : CollectionState.FAILED, error, Map.of(),
                now);
        tables.roots().forgetSteps(gc);
        if (!first || plan.listing()) {
            return; // an earlier run of this step ended it, or it only listed
        }
        metrics.count(StoreMetrics.GC_RUNS, 1, error == null ? "done" : "failed");
        metrics.count(StoreMetrics.GC_FREED_PATHS, ended.deleted());
        metrics.count(StoreMetrics.GC_FREED_BYTES, ended.bytesFreed());
        metrics.observe(StoreMetrics.GC_SECONDS, Math.max(0, now - ended.startedAt()));
        LOG.info(() -> "collection " + gc + ": " + ended.marked() + " paths marked, " + ended.deleted() + " deleted");
    }

    private String stillAlive(StorePath path) {
        return "Cannot delete path '" + storeDir.print(path) + "' since it is still alive. "
                + "To find out why, use: nix-store --query --roots and nix-store --query --referrers";
    }

    /**
     * What comes after a stage: its stage, wave and number of steps, the plan (null: the same), and
     * whether the collection's caller hears of the deleted paths as it moves there ({@code answers}).
     */
    private record Next(String stage, int wave, int steps, String plan, boolean answers) {
        Next(String stage, int wave, int steps, String plan) {
            this(stage, wave, steps, plan, false);
        }

        String recorded() {
            return new CollectionStep("", stage, wave, 0, null).recorded();
        }

        /** The stage a collection's record is at. */
        static Next of(Stage at) {
            String wave = CollectionStep.DELETE + "-";
            return at.stage().startsWith(wave)
                    ? new Next(CollectionStep.DELETE, Integer.parseInt(at.stage().substring(wave.length())), (int) at.steps(), at.plan())
                    : new Next(at.stage(), 0, (int) at.steps(), at.plan());
        }
    }

    /**
     * Records {@code step} done with {@code counts}; {@code once} runs if this was the run that
     * recorded it. If it was the stage's last, the one caller that moves the collection on queues the
     * steps of the stage {@code next} names. A run that finds the collection moved on and none of the
     * new stage's steps done queues them again: a run before it may have died between moving it on
     * and queuing them (a step queued twice does its work twice, harmlessly).
     */
    private void done(CollectionStep step, Map<String, Long> counts, Runnable once, java.util.function.Supplier<Next> next) {
        long now = now();
        boolean counted = tables.roots().completeStep(step.gc(), step.recorded(), step.index(), counts, lease(), now);
        if (counted && once != null) {
            once.run();
        }
        Optional<Stage> at = tables.roots().stage(step.gc());
        if (at.isEmpty() || !at.get().state().running()) {
            return;
        }
        if (at.get().stage().equals(step.recorded()) && at.get().complete()) {
            Next then = next.get();
            if (tables.roots().advance(step.gc(), step.recorded(), then.recorded(), then.steps(), then.plan(), now())) {
                if (then.answers() && at.get().state().phase().equals(CollectionState.DELETING)) {
                    // Its deletions are over: its caller hears of its paths while what they left
                    // behind is forgotten and the bucket swept.
                    tables.roots().endDeletions(step.gc(), CollectionState.SWEEPING, now());
                }
                queue(step.gc(), then);
            }
        } else if (!counted && at.get().done() == 0 && at.get().stage().equals(next.get().recorded())) {
            queue(step.gc(), next.get());
        }
    }

    private void queue(String gc, Next next) {
        String plan = next.plan() != null ? next.plan() : stage(gc).plan();
        if (next.stage().equals(CollectionStep.DELETE)) {
            Plan content = new CollectionFiles(bucket, gc).plan(plan);
            for (int b = content.waveStarts().get(next.wave()); b < content.waveEnd(next.wave()); b++) {
                queue.send(new CollectionStep(gc, CollectionStep.DELETE, next.wave(), b, plan));
            }
        } else {
            for (int i = 0; i < next.steps(); i++) {
                queue.send(new CollectionStep(gc, next.stage(), next.wave(), i, plan));
            }
        }
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    private long lease() {
        return now() + Deletions.LEASE_SECONDS;
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
    private static Set<StorePath> closure(Set<StorePath> roots, Map<StorePath, ScannedPath> scanned) {
        Set<StorePath> live = new HashSet<>();
        List<StorePath> frontier = new ArrayList<>(roots);
        while (!frontier.isEmpty()) {
            StorePath p = frontier.removeLast();
            ScannedPath s = scanned.get(p);
            if (s == null || !live.add(p)) {
                continue;
            }
            s.references().forEach(r -> frontier.add(StorePath.parseBaseName(r)));
            if (s.deriver() != null) {
                StorePath deriver = StorePath.parseBaseName(s.deriver());
                if (scanned.containsKey(deriver)) {
                    frontier.add(deriver);
                }
            }
        }
        return live;
    }

    private record Specific(List<StorePath> doomed, String refusal) {}

    /**
     * The requested paths to delete as Nix's collector takes them (in their order): a path goes with
     * every path that refers to it, directly or not, and only if none of them is live and, unless
     * {@code deleteReferrers}, all of them were requested. {@code delete-specific} stops at the first
     * path that cannot go, with Nix's error, after deleting those before it; {@code delete-dead}
     * passes over it.
     */
    private Specific doomedSpecific(CollectGarbage request, Map<StorePath, ScannedPath> scanned, Set<StorePath> live) {
        boolean refuse = request.action().equals(CollectGarbage.DELETE_SPECIFIC);
        SortedSet<StorePath> requested = new TreeSet<>(PathQueries.parseAll(storeDir, request.paths()));
        Map<StorePath, List<StorePath>> referrers = new HashMap<>();
        scanned.forEach((p, s) -> s.references().stream().map(StorePath::parseBaseName).filter(r -> !r.equals(p))
                .forEach(r -> referrers.computeIfAbsent(r, k -> new ArrayList<>()).add(p)));
        Set<StorePath> doomed = new LinkedHashSet<>();
        for (StorePath path : requested) {
            if (!scanned.containsKey(path) || doomed.contains(path)) {
                continue; // not valid, or going already with an earlier one
            }
            Optional<Set<StorePath>> closure = referrerClosure(path, referrers, live, doomed,
                    request.deleteReferrers() ? null : requested);
            if (closure.isPresent()) {
                doomed.addAll(closure.get());
            } else if (refuse) {
                return new Specific(new ArrayList<>(doomed), stillAlive(path));
            }
        }
        return new Specific(new ArrayList<>(doomed), null);
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
    static List<StorePath> referrersFirst(Iterable<StorePath> paths, Map<StorePath, ScannedPath> scanned) {
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

    /**
     * {@code start} after what it refers to among {@code among}, depth first with a stack of its own:
     * a chain of dead paths may be millions long.
     */
    private static void place(StorePath start, Set<StorePath> among, Map<StorePath, ScannedPath> scanned,
                              Set<StorePath> placed, List<StorePath> out) {
        if (!placed.add(start)) {
            return; // placed, or in progress: a cycle cannot form among valid paths other than a self-reference
        }
        java.util.Deque<StorePath> paths = new java.util.ArrayDeque<>(List.of(start));
        java.util.Deque<java.util.Iterator<String>> references = new java.util.ArrayDeque<>(
                List.of(scanned.get(start).references().iterator()));
        while (!paths.isEmpty()) {
            StorePath p = paths.peek();
            java.util.Iterator<String> refs = references.peek();
            StorePath next = null;
            while (next == null && refs.hasNext()) {
                StorePath r = StorePath.parseBaseName(refs.next());
                if (among.contains(r) && !r.equals(p) && placed.add(r)) {
                    next = r;
                }
            }
            if (next != null) {
                paths.push(next);
                references.push(scanned.get(next).references().iterator());
            } else {
                paths.pop();
                references.pop();
                out.add(p);
            }
        }
    }

    /** The deletion generation caches consult ({@link Deletions}). */
    public Deletions deletions() {
        RootsTable.Deletions d = tables.roots().deletions(clock.instant().getEpochSecond());
        return new Deletions(d.generation(), d.deleting());
    }

    /**
     * The marks of collections that no longer delete, which this one takes over: those of collections
     * that ended, failed, were abandoned or are forgotten, and those of collections whose lease ran out,
     * which this one abandons first (after which none of their deletes can commit).
     */
    private Set<String> staleMarks(Map<StorePath, ScannedPath> scanned, long now) {
        Set<String> marks = new HashSet<>();
        scanned.values().forEach(s -> {
            if (s.mark() != null) {
                marks.add(s.mark());
            }
        });
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
                    LOG.warning(() -> "collection " + mark + " let its lease run out; " + c.marked() + " paths marked, "
                            + c.deleted() + " deleted; taking its marks over");
                }
                stale.add(mark);
            }
        }
        return stale;
    }

    /** Waits until {@link Deletions#ANNOUNCE_MILLIS} have passed since the announcement. */
    private void awaitAnnouncement(long announcedAtMillis) {
        long left = announcedAtMillis + Deletions.ANNOUNCE_MILLIS - clock.millis();
        if (left > 0) {
            try {
                Thread.sleep(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted before deleting");
            }
        }
    }

    /**
     * What each of {@code parts} must know of the scan to sweep it: the NAR files and narinfos paths
     * that stay use, and those only {@code doomed} paths use.
     */
    private List<SweepPart> sweepParts(BucketParts parts, Map<StorePath, ScannedPath> scanned, Set<StorePath> doomed) {
        List<Set<String>> liveNars = new ArrayList<>();
        List<Set<String>> liveHashParts = new ArrayList<>();
        List<Map<String, List<String>>> doomedNars = new ArrayList<>();
        List<List<String>> doomedPaths = new ArrayList<>();
        for (int part = 0; part < parts.size(); part++) {
            liveNars.add(new HashSet<>());
            liveHashParts.add(new HashSet<>());
            doomedNars.add(new HashMap<>());
            doomedPaths.add(new ArrayList<>());
        }
        scanned.forEach((p, s) -> {
            boolean going = doomed.contains(p);
            int narInfoPart = parts.partOf(BinaryCacheLayout.narInfoKey(p));
            if (narInfoPart >= 0) {
                if (going) {
                    doomedPaths.get(narInfoPart).add(p.baseName());
                } else {
                    liveHashParts.get(narInfoPart).add(p.hashPart());
                }
            }
            int narPart = s.narKey() == null ? -1 : parts.partOf(s.narKey());
            if (narPart >= 0) {
                if (going) {
                    doomedNars.get(narPart).computeIfAbsent(s.narKey(), k -> new ArrayList<>()).add(p.baseName());
                } else {
                    liveNars.get(narPart).add(s.narKey());
                }
            }
        });
        List<SweepPart> out = new ArrayList<>();
        for (int part = 0; part < parts.size(); part++) {
            doomedNars.get(part).keySet().removeAll(liveNars.get(part)); // a NAR file a path that stays shares stays
            out.add(new SweepPart(List.copyOf(liveNars.get(part)), List.copyOf(liveHashParts.get(part)),
                    doomedNars.get(part), doomedPaths.get(part)));
        }
        return out;
    }

    /**
     * Removes, under {@code prefixes}, NAR files no valid path refers to and narinfos of paths that
     * are not valid, if older than {@code cutoff}: aborted uploads, and what deleted paths left; and
     * other collections' files once a day old. What the scan saw in use stays unless only paths the
     * plan doomed used it and none of them is still valid (the table says, read now). A path
     * registered after the scan has its NAR uploaded or touched and its narinfo written recently, so
     * the grace period keeps them; one renewed after this listing (a path added again) is the
     * {@link SweepFence}'s: the step deletes nothing after {@code until}, and a registration of objects
     * written while it ran waits for it to end and checks they are there.
     */
    private long sweepBucket(String gc, List<String> prefixes, SweepPart part, long cutoff, long until) {
        Set<String> liveNars = new HashSet<>(part.liveNars());
        Set<String> liveHashParts = new HashSet<>(part.liveHashParts());
        Map<String, StorePath> doomedByHashPart = new HashMap<>();
        part.doomedPaths().stream().map(StorePath::parseBaseName).forEach(p -> doomedByHashPart.put(p.hashPart(), p));
        long filesCutoff = now() - FILES_KEPT_SECONDS;
        List<String> removed = new ArrayList<>();
        List<String> doomedNars = new ArrayList<>();
        List<String> doomedNarInfos = new ArrayList<>();
        for (List<Bucket.StoredObject> listed : CollectionFiles.atOnce(prefixes, this::list)) {
            for (Bucket.StoredObject o : listed) {
                long modified = o.lastModified().getEpochSecond();
                Optional<String> collection = CollectionFiles.collectionOf(o.key());
                if (collection.isPresent()) {
                    if (!collection.get().equals(gc) && modified < filesCutoff) {
                        removed.add(o.key());
                    }
                    continue;
                }
                if (modified >= cutoff) {
                    continue;
                }
                if (o.key().startsWith(BinaryCacheLayout.NAR_PREFIX)) {
                    if (part.doomedNars().containsKey(o.key())) {
                        doomedNars.add(o.key());
                    } else if (!liveNars.contains(o.key())) {
                        removed.add(o.key());
                    }
                    continue;
                }
                String hashPart = BinaryCacheLayout.hashPartOfNarInfoKey(o.key());
                if (hashPart == null || liveHashParts.contains(hashPart)) {
                    continue;
                }
                if (doomedByHashPart.containsKey(hashPart)) {
                    doomedNarInfos.add(o.key());
                } else {
                    removed.add(o.key());
                }
            }
        }
        // What only doomed paths used goes if they went: a path the collection kept is valid still.
        Set<StorePath> doomed = new HashSet<>();
        doomedNars.forEach(k -> part.doomedNars().get(k).forEach(p -> doomed.add(StorePath.parseBaseName(p))));
        doomedNarInfos.forEach(k -> doomed.add(doomedByHashPart.get(BinaryCacheLayout.hashPartOfNarInfoKey(k))));
        Set<StorePath> valid = new HashSet<>(tables.paths().valid(doomed));
        doomedNars.stream().filter(k -> part.doomedNars().get(k).stream().map(StorePath::parseBaseName).noneMatch(valid::contains))
                .forEach(removed::add);
        doomedNarInfos.stream().filter(k -> !valid.contains(doomedByHashPart.get(BinaryCacheLayout.hashPartOfNarInfoKey(k))))
                .forEach(removed::add);
        interleaving.sweeping(removed);
        for (int from = 0; from < removed.size(); from += DELETE_REQUEST_KEYS) {
            fence.checkDeadline(until); // a registration that waits for this step trusts its deadline
            try {
                bucket.deleteAll(removed.subList(from, Math.min(removed.size(), from + DELETE_REQUEST_KEYS)));
            } catch (IOException e) {
                throw new UncheckedIOException("sweeping the store bucket: " + e.getMessage(), e);
            }
        }
        restore(removed.stream().map(BinaryCacheLayout::hashPartOfNarInfoKey).filter(java.util.Objects::nonNull).toList(),
                false);
        return removed.size();
    }

    private List<Bucket.StoredObject> list(String prefix) {
        List<Bucket.StoredObject> out = new ArrayList<>();
        try {
            bucket.list(prefix, out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("listing the store bucket under '" + prefix + "': " + e.getMessage(), e);
        }
        return out;
    }
}
