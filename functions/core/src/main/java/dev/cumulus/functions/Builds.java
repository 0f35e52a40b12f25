package dev.cumulus.functions;

import dev.cumulus.functions.tables.BuildLogTable;
import dev.cumulus.functions.tables.BuildsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.build.BuildReport.BuiltOutput;
import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.build.BuildRequest;
import dev.cumulus.model.build.DerivationBuildRequest;
import dev.cumulus.model.build.RunnerPool;
import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildClaim;
import dev.cumulus.model.event.BuildEvents.BuildList;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.BuildStates;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.InputNar;
import dev.cumulus.model.event.BuildEvents.ListBuilds;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The build functions: submitting a derivation (translated into a generic {@link BuildRequest},
 * recorded, queued), a runner's start, log and completion, failing a build from outside, and queries.
 * Completion registers the outputs with the same invariants as an upload: their NARs are in the
 * bucket already and every reference is valid or another output of the same build.
 */
public final class Builds {
    /** How long a finished build and its log are kept. */
    static final Duration KEEP_FINISHED = Duration.ofDays(30);
    /** Log chunk numbers of one attempt; attempts follow each other in the sequence. */
    static final long CHUNKS_PER_ATTEMPT = 1_000_000L;

    private final StoreTables tables;
    private final StoreDir storeDir;
    private final FunctionsConfig.BuildLimits limits;
    private final RunnerPools pools;
    private final PathRegistration registration;
    private final JobQueue<QueuedBuild> queue;
    private final Clock clock;
    private final Metrics metrics;

    public Builds(StoreTables tables, FunctionsConfig config, PathRegistration registration, JobQueue<QueuedBuild> queue, Clock clock,
                  Metrics metrics) {
        this.tables = tables;
        this.storeDir = config.storeDir();
        this.limits = config.buildLimits();
        this.pools = config.runnerPools();
        this.registration = registration;
        this.queue = queue;
        this.clock = clock;
        this.metrics = metrics;
    }

    public BuildState submit(SubmitBuild s) {
        StorePath drvPath = path(s.drvPath(), "drvPath");
        if (s.derivation() == null) {
            throw new StoreException("'derivation' is missing");
        }
        Derivation drv;
        BuildRequest request;
        Map<StorePath, StoredPath> closure;
        RunnerPool pool;
        try {
            drv = Derivation.parse(storeDir, Derivation.nameFromDrvPath(drvPath), s.derivation());
            switch (pools.route(storeDir, drvPath, drv)) {
                case RunnerPools.Route.To to -> pool = to.pool();
                // Nothing could ever take it from a queue: refused now, as Nix refuses it.
                case RunnerPools.Route.Refused refused -> throw new StoreException(refused.reason());
            }
            List<StorePath> inputs = s.inputs().stream().map(storeDir::parse).toList();
            closure = closure(drvPath, inputs);
            request = DerivationBuildRequest.of(storeDir, drvPath, drv, closure.keySet(),
                    new DerivationBuildRequest.Settings(
                            FunctionsConfig.BuildLimits.effective(s.timeoutSeconds(), limits.timeoutSeconds()),
                            FunctionsConfig.BuildLimits.effective(s.maxSilentSeconds(), limits.maxSilentSeconds()),
                            pool.cores()));
        } catch (IllegalArgumentException e) {
            throw new StoreException(e.getMessage(), e);
        }
        String id = Hash.of(HashAlgorithm.SHA256, EventJson.write(request)).toNix32().substring(0, 32);
        Map<String, String> outputs = new TreeMap<>();
        List<String> names = new ArrayList<>(drv.outputs().keySet());
        for (int i = 0; i < names.size(); i++) {
            outputs.put(names.get(i), request.outputs().get(i).path());
        }
        long now = clock.instant().getEpochSecond();
        BuildState fresh = new BuildState(id, storeDir.print(drvPath), BuildState.QUEUED, null, null, outputs,
                s.outputHashes(), 0, now, 0, 0, pool.name(), null, 1, List.of(), 0);
        List<StorePath> held = new ArrayList<>(s.inputs().stream().map(storeDir::parse).toList());
        held.add(drvPath);
        Optional<BuildState> outstanding = tables.builds().putIfNotOutstanding(fresh,
                held.stream().map(storeDir::print).toList());
        // A new build is queued while its inputs are revived, the two round trips side by side: should
        // an input turn out collected, the build is failed below and its runner's claim refused.
        CompletableFuture<Void> queued = outstanding.isPresent() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.runAsync(() -> queue.send(new QueuedBuild(id, pool.name(),
                !GraphEvents.FROM_CLIENT.equals(s.source()), request, inputNars(closure))), ASIDE);
        // The build now holds its inputs; a collection that marked one of them meanwhile must not delete it.
        Set<StorePath> revived = new HashSet<>(tables.paths().revive(request.inputs().stream().map(storeDir::parse).toList()));
        for (String input : request.inputs()) {
            if (!revived.contains(storeDir.parse(input))) {
                queued.exceptionally(e -> null).join();
                fail(new FailBuild(outstanding.map(BuildState::id).orElse(id), BuildStatus.MISC_FAILURE.jsonName(),
                        "its input '" + input + "' was garbage-collected while the build was submitted"));
                throw new StoreException("cannot build '" + storeDir.print(drvPath) + "': its input '" + input
                        + "' was garbage-collected while the build was submitted");
            }
        }
        if (outstanding.isPresent()) {
            return outstanding.get();
        }
        try {
            queued.join();
        } catch (CompletionException e) {
            RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
            fail(new FailBuild(id, BuildStatus.MISC_FAILURE.jsonName(), "queueing the build failed: " + cause.getMessage()));
            throw cause instanceof StoreException se ? se
                    : new StoreException("queueing the build failed: " + cause.getMessage(), cause);
        }
        metrics.count(StoreMetrics.BUILDS_SUBMITTED, 1, pool.name());
        return fresh;
    }

    private static final Executor ASIDE = r -> Thread.ofVirtual().start(r);

    /** The closure of {@code inputs}, each of which must be valid, as stored. */
    private SortedMap<StorePath, StoredPath> closure(StorePath drvPath, List<StorePath> inputs) {
        SortedMap<StorePath, StoredPath> seen = new TreeMap<>();
        List<StorePath> frontier = new ArrayList<>(new TreeSet<>(inputs));
        Set<StorePath> asked = new HashSet<>(frontier);
        while (!frontier.isEmpty()) {
            Map<String, StoredPath> found = tables.paths().getAll(frontier.stream().map(StorePath::hashPart).toList());
            List<StorePath> next = new ArrayList<>();
            for (StorePath p : frontier) {
                StoredPath stored = found.get(p.hashPart());
                if (stored == null || !stored.info().path().equals(p)) {
                    throw new StoreException("cannot build '" + storeDir.print(drvPath) + "': its input '" + storeDir.print(p)
                            + "' is not valid in this store");
                }
                seen.put(p, stored);
                for (StorePath r : stored.info().references()) {
                    if (asked.add(r)) {
                        next.add(r);
                    }
                }
            }
            frontier = next;
        }
        return seen;
    }

    /** Where the closure's NARs lie, for the runner, when the closure is small enough to say it in the message. */
    private Map<String, InputNar> inputNars(Map<StorePath, StoredPath> closure) {
        Map<String, InputNar> out = new TreeMap<>();
        if (closure.size() <= QueuedBuild.MAX_INPUT_NARS) {
            closure.forEach((path, stored) -> stored.nar().ifPresent(nar ->
                    out.put(storeDir.print(path), new InputNar(stored.info().narHash().toString(), nar))));
        }
        return out;
    }

    /** The build as recorded, without its log (what the build graph looks at). */
    public Optional<BuildState> state(String id) {
        return id == null ? Optional.empty() : tables.builds().get(id);
    }

    public BuildState query(BuildQuery q) {
        BuildState state = get(q.id());
        BuildLogTable.Lines lines = tables.buildLogs().read(q.id(), q.logFrom());
        return withLog(state, lines.lines(), lines.next());
    }

    /** One read of every build asked for, and a read of the log of those finished or asked with their log. */
    public BuildStates queryAll(BuildsQuery q) {
        Set<String> withLog = new HashSet<>(q.withLog());
        Map<String, BuildsTable.Recorded> found = tables.builds().getAll(q.builds().stream().map(BuildQuery::id)
                .filter(Objects::nonNull).distinct().toList());
        List<BuildState> out = new ArrayList<>();
        for (BuildQuery b : q.builds()) {
            BuildsTable.Recorded recorded = found.get(b.id());
            if (recorded == null) {
                out.add(null);
                continue;
            }
            BuildState state = recorded.state();
            if ((state.finished() && !readAll(b.logFrom(), recorded.logEnd())) || withLog.contains(b.id())) {
                BuildLogTable.Lines lines = tables.buildLogs().read(b.id(), b.logFrom());
                state = withLog(state, lines.lines(), lines.next());
            } else {
                state = withLog(state, List.of(), b.logFrom());
            }
            out.add(state);
        }
        return new BuildStates(out);
    }

    /**
     * Whether a reader at chunk {@code from} has read the whole of a log that ends at {@code logEnd}.
     * No chunk is numbered below the first attempt's, so a reader that starts at 0 of a build whose
     * first attempt logged nothing has nothing to read.
     */
    private static boolean readAll(long from, long logEnd) {
        return logEnd != BuildsTable.NO_LOG_END && Math.max(from, CHUNKS_PER_ATTEMPT) >= logEnd;
    }

    /** Where the log of a reported attempt ends, when the runner said how many chunks it sent. */
    private static long logEnd(CompleteBuild c) {
        return c.attempt() >= 1 && c.logChunks() != null && c.logChunks() >= 0 && c.logChunks() < CHUNKS_PER_ATTEMPT
                ? c.attempt() * CHUNKS_PER_ATTEMPT + c.logChunks() : BuildsTable.NO_LOG_END;
    }

    private static BuildState withLog(BuildState s, List<String> lines, long next) {
        return new BuildState(s.id(), s.drvPath(), s.state(), s.status(), s.error(), s.outputs(), s.outputHashes(),
                s.attempts(), s.submittedAt(), s.startTime(), s.stopTime(), s.pool(), s.runner(), s.waiters(), lines, next);
    }

    /** One conditional write; only when it is refused is the build read, to tell an unknown id from an ended build. */
    public BuildClaim started(BuildStarted s) {
        if (s.id() == null) {
            throw new StoreException("'id' is missing");
        }
        boolean run = tables.builds().start(s.id(), s.runner() == null ? "" : s.runner(), s.attempt(),
                clock.instant().getEpochSecond());
        if (!run) {
            get(s.id());
        }
        return new BuildClaim(run);
    }

    /** Stores a chunk of log; the answer tells the runner whether the build is still wanted. */
    public BuildClaim log(BuildLog l) {
        if (l.seq() < 0 || l.seq() >= CHUNKS_PER_ATTEMPT || l.attempt() < 0) {
            throw new StoreException("log chunk " + l.seq() + " of attempt " + l.attempt() + " is out of range");
        }
        BuildState state = get(l.id());
        tables.buildLogs().put(l.id(), l.attempt() * CHUNKS_PER_ATTEMPT + l.seq(), l.lines(), expiry());
        return new BuildClaim(!state.finished());
    }

    public BuildState complete(CompleteBuild c) {
        BuildReport report = c.report();
        if (report == null || report.build() == null) {
            throw new StoreException("'report' is missing or names no build");
        }
        BuildState build = get(report.build());
        if (build.finished()) {
            return build;
        }
        if (!report.succeeded()) {
            return ended(tables.builds().finish(build.id(), BuildState.FAILED, report.status(), report.error(), Map.of(),
                    clock.instant().getEpochSecond(), expiry(), logEnd(c)));
        }
        Map<String, String> nameByScratch = new HashMap<>();
        build.outputs().forEach((name, scratch) -> nameByScratch.put(scratch, name));
        Map<String, String> finalPaths = new TreeMap<>();
        List<PathRegistration.Candidate> candidates = new ArrayList<>();
        StorePath drvPath = storeDir.parse(build.drvPath());
        for (BuiltOutput o : report.outputs()) {
            String name = nameByScratch.get(o.scratchPath());
            if (name == null) {
                throw new StoreException("build " + build.id() + " has no output at '" + o.scratchPath() + "'");
            }
            finalPaths.put(name, o.path());
            PathInfo info = new PathInfo(path(o.path(), "path"), Optional.of(drvPath), Hash.parseAny(o.narHash()), o.narSize(),
                    new TreeSet<>(o.references().stream().map(storeDir::parse).toList()), 0, true, List.of(),
                    Optional.ofNullable(o.ca()).map(ContentAddress::parse));
            candidates.add(new PathRegistration.Candidate(info, Optional.ofNullable(o.nar()), Optional.empty(),
                    o.signatures().stream().map(Signature::parse).toList()));
        }
        if (!finalPaths.keySet().equals(build.outputs().keySet())) {
            return finish(build.id(), BuildState.FAILED, BuildStatus.OUTPUT_REJECTED.jsonName(),
                    "the runner reported outputs " + finalPaths.keySet() + " instead of " + build.outputs().keySet(), Map.of());
        }
        // The realisations and the build's end commit with the outputs, in one transaction: a client
        // that sees the build built finds its realisations, and the round trips after the paths' are saved.
        // A realisation already registered keeps its first mapping; a build that ended meanwhile
        // (cancelled, dead-lettered) stays as it ended, its outputs valid all the same.
        // A content-addressed output is realised under both ids Nix uses: the hash-keyed one (up to
        // 2.34, and what QueryRealisation asks) and the derivation-path one (2.35, and how
        // QueryDerivationOutputMap finds a floating output's path).
        List<TransactWriteItem> alongside = new ArrayList<>();
        finalPaths.forEach((name, path) -> {
            String hash = build.outputHashes().get(name);
            if (hash != null) {
                alongside.add(tables.realisations().putIfAbsentItem(Realisation.of(
                        new DrvOutput.ByHash(Hash.parseAny(hash), name), storeDir.parse(path))));
                alongside.add(tables.realisations().putIfAbsentItem(Realisation.of(
                        new DrvOutput.ByPath(drvPath, name), storeDir.parse(path))));
            }
        });
        long now = clock.instant().getEpochSecond();
        var end = tables.builds().finishItem(build.id(), BuildState.BUILT, BuildStatus.BUILT.jsonName(), null, finalPaths,
                now, expiry(), logEnd(c));
        alongside.add(end);
        PathRegistration.Result registered;
        try {
            // The runner writes the outputs' NARs after the build started (epoch seconds).
            registered = registration.register(true, false, candidates, Optional.empty(), alongside,
                    build.startTime() > 0 ? build.startTime() * 1000 : -1);
        } catch (StoreException e) {
            return finish(build.id(), BuildState.FAILED, BuildStatus.OUTPUT_REJECTED.jsonName(), e.getMessage(), Map.of());
        }
        if (registered.refused().contains(end)) {
            return get(build.id());
        }
        return ended(new BuildsTable.Ending(new BuildState(build.id(), build.drvPath(), BuildState.BUILT,
                BuildStatus.BUILT.jsonName(), null, finalPaths, build.outputHashes(), build.attempts(), build.submittedAt(),
                build.startTime(), now, build.pool(), build.runner(), build.waiters(), List.of(), 0), true));
    }

    public BuildState fail(FailBuild f) {
        get(f.id());
        String status = f.status() == null ? BuildStatus.MISC_FAILURE.jsonName() : f.status();
        BuildStatus.fromJsonName(status);
        return finish(f.id(), BuildState.FAILED, status, f.error(), Map.of());
    }

    /** A waiter left; the build is cancelled if it was the last (see {@link BuildsTable#abandon}). */
    public BuildState abandon(AbandonBuild a) {
        get(a.id());
        return ended(tables.builds().abandon(a.id(), BuildStatus.MISC_FAILURE.jsonName(),
                "was cancelled: no client waits for it any more", clock.instant().getEpochSecond(), expiry()));
    }

    /**
     * Fails the builds whose messages were dead-lettered: no runner finished them in the queue's
     * receive limit (each runner died or lost its lease), so their waiters get an error, not a hang.
     * A body that is not a queued build is dropped (it can never succeed); a failure to record the
     * end sends the message back.
     */
    public MessagesHandled failDeadLettered(QueueMessages d) {
        return d.each(QueuedBuild.class, build -> {
            if (build.id() != null && tables.builds().get(build.id()).isPresent()) {
                finish(build.id(), BuildState.FAILED, BuildStatus.MISC_FAILURE.jsonName(),
                        "failed: no build-runner finished it in " + CloudResources.BUILD_REQUEST_RECEIVES
                                + " attempts", Map.of());
            }
        });
    }

    public BuildList list(ListBuilds l) {
        BuildsTable.Page page = tables.builds().list(Optional.ofNullable(l.after()), l.limit() <= 0 ? 100 : l.limit());
        return new BuildList(page.builds(), page.next().orElse(null));
    }

    private BuildState finish(String id, String state, String status, String error, Map<String, String> outputs) {
        return ended(tables.builds().finish(id, state, status, error, outputs, clock.instant().getEpochSecond(), expiry()));
    }

    /**
     * Hears of each build that ends (built, failed, timed out, cancelled, dead-lettered): the build
     * graph moves on from it. A build can be heard of more than once (a race of two ends): the
     * listener's own steps are conditional.
     */
    public interface EndListener {
        void buildEnded(BuildState state);
    }

    private volatile EndListener endListener = s -> { };

    public void onEnd(EndListener listener) {
        this.endListener = listener;
    }

    private BuildState ended(BuildsTable.Ending ending) {
        BuildState state = ending.state();
        if (ending.endedNow()) {
            report(state);
        }
        if (state.finished()) {
            endListener.buildEnded(state);
        }
        return state;
    }

    /** A build this call ended: counted by state and pool, with how long it waited and ran if a runner took it. */
    private void report(BuildState state) {
        String pool = state.pool() == null ? RunnerPools.DEFAULT_NAME : state.pool();
        metrics.count(StoreMetrics.BUILDS_FINISHED, 1, state.state(), pool);
        if (state.startTime() > 0) {
            metrics.observe(StoreMetrics.BUILD_QUEUE_SECONDS, Math.max(0, state.startTime() - state.submittedAt()), pool);
            if (state.stopTime() >= state.startTime()) {
                metrics.observe(StoreMetrics.BUILD_SECONDS, state.stopTime() - state.startTime(), pool);
            }
        }
    }

    private long expiry() {
        return clock.instant().plus(KEEP_FINISHED).getEpochSecond();
    }

    private BuildState get(String id) {
        if (id == null) {
            throw new StoreException("'id' is missing");
        }
        return tables.builds().get(id).orElseThrow(() -> new StoreException("there is no build '" + id + "'"));
    }

    private StorePath path(String printed, String what) {
        if (printed == null) {
            throw new StoreException("'" + what + "' is missing");
        }
        return storeDir.parse(printed);
    }
}
