package dev.cumulus.proxy.functions;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derivation.DerivationInput;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.derived.SingleDerivedPath;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.BuildingStep;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.RootEvents;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.BuildResult;
import dev.cumulus.model.wire.BuildStatus;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.model.wire.MissingPaths;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.proxy.backend.BuildService;
import dev.cumulus.proxy.backend.PathInfoService;
import dev.cumulus.proxy.backend.RealisationService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreDerivations;
import dev.cumulus.proxy.backend.StoreException;
import dev.cumulus.proxy.backend.SubstitutionService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Builds through the build functions: each derivation that is not built yet is submitted (its
 * inputs first, independent ones side by side), and the proxy waits for it, passing the log lines
 * on to the client as they arrive. Outputs that are valid already are not rebuilt, and outputs a
 * substituter has are fetched instead, as are missing input sources.
 */
public final class FunctionBuildService implements BuildService {
    private static final Logger LOG = Logger.getLogger(FunctionBuildService.class.getName());
    /** How long a waiter that hears nothing goes before it checks whether its client is still there. */
    static final Duration CLIENT_CHECK = Duration.ofSeconds(1);
    /** Log lines quoted in a failed build's error, as Nix's log-lines setting defaults to. */
    static final int TAIL_LINES = 10;
    /**
     * How often a waiter asks how its submission stands: soon at first (most steps are quick), then
     * less often while nothing happens; log lines come between, through the build's own watch.
     */
    static final Duration SUBMISSION_POLL = Duration.ofMillis(20);
    static final Duration MAX_SUBMISSION_POLL = Duration.ofMillis(500);

    private final StoreFunctionClient functions;
    private final StoreDir storeDir;
    private final PathInfoService paths;
    private final RealisationService realisations;
    private final StoreDerivations derivations;
    private final Bucket bucket;
    private final SubstitutionService substitutions;
    private final BuildWatcher watcher;

    public FunctionBuildService(StoreFunctionClient functions, StoreDir storeDir, PathInfoService paths,
                                RealisationService realisations, StoreDerivations derivations, Bucket bucket,
                                SubstitutionService substitutions) {
        this.functions = functions;
        this.storeDir = storeDir;
        this.paths = paths;
        this.realisations = realisations;
        this.derivations = derivations;
        this.bucket = bucket;
        this.substitutions = substitutions;
        this.watcher = new BuildWatcher(functions);
    }

    @Override
    public BuildResult buildDerivation(Session session, StorePath drvPath, Derivation derivation, BuildMode mode) {
        TreeSet<StorePath> inputs = new TreeSet<>(derivation.inputSrcs());
        for (Map.Entry<StorePath, DerivationInput> in : derivation.inputDrvs().entrySet()) {
            Map<String, Optional<StorePath>> outs = paths.queryDerivationOutputMap(in.getKey());
            for (String name : in.getValue().outputs()) {
                inputs.add(outs.getOrDefault(name, Optional.empty()).orElseThrow(() -> new StoreException(
                        "input '" + storeDir.print(in.getKey()) + "^" + name + "' of '" + storeDir.print(drvPath) + "' is not built")));
            }
        }
        return submitAndWait(session, drvPath, derivation, inputs, outputHashes(derivation).get());
    }

    @Override
    public List<KeyedBuildResult> build(Session session, List<DerivedPath> targets, BuildMode mode) {
        List<KeyedBuildResult> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<BuildResult>> futures = new ArrayList<>();
            for (DerivedPath t : targets) {
                if (!(t instanceof DerivedPath.Built b) || !(b.drvPath() instanceof SingleDerivedPath.Opaque drv)) {
                    futures.add(CompletableFuture.completedFuture(failure(BuildStatus.MISC_FAILURE,
                            "Cumulus builds derivations named by their store path only, not '" + t.render(storeDir) + "'")));
                    continue;
                }
                futures.add(threads.submit(() -> {
                    try {
                        return realise(session, drv.path(), b.outputs());
                    } catch (RuntimeException e) {
                        return failure(BuildStatus.MISC_FAILURE, e.getMessage());
                    }
                }));
            }
            for (int i = 0; i < targets.size(); i++) {
                results.add(new KeyedBuildResult(targets.get(i), futures.get(i).get()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while building");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new StoreException(e.getCause().toString());
        }
        return results;
    }

    /**
     * One target through the store's build graph (the same one events submit to): submitted, then
     * watched until it ends, the log lines of each step building meanwhile passed on to the client.
     * A client that hangs up abandons the submission: steps nobody else needs are cancelled.
     */
    private BuildResult realise(Session session, StorePath drvPath, OutputsSpec wanted) {
        List<String> outputs = switch (wanted) {
            case OutputsSpec.All all -> List.of("*");
            case OutputsSpec.Names names -> List.copyOf(names.names());
        };
        Derivation drv = derivations.read(drvPath);
        Supplier<SortedMap<String, Hash>> hashes = outputHashes(drv);
        Optional<SortedMap<String, StorePath>> valid = validOutputs(drv, hashes);
        if (valid.isPresent()) {
            // As a daemon answers without a goal: nothing is submitted for outputs that are there.
            SortedMap<String, Realisation> built = realisationsOf(hashes.get(), valid.get());
            if (!outputs.contains("*")) {
                built.keySet().retainAll(outputs);
            }
            long now = System.currentTimeMillis() / 1000;
            return new BuildResult(BuildStatus.ALREADY_VALID, "", 0, false, now, now, Optional.empty(), Optional.empty(),
                    new TreeMap<>(built));
        }
        long timeout = parseLong(session.options().overrides().get("timeout"));
        SubmissionState state = call(() -> functions.call(StoreFunction.SUBMIT_GRAPH, new SubmitGraph(null,
                storeDir.print(drvPath), outputs, GraphEvents.FROM_CLIENT, timeout, session.options().maxSilentTime())));
        String id = state.id();
        Map<String, StepWatch> watching = new LinkedHashMap<>();
        long wait = SUBMISSION_POLL.toMillis();
        try {
            while (true) {
                for (BuildingStep step : state.building()) {
                    watching.computeIfAbsent(step.build(), b -> new StepWatch(session, step.drvPath(), watcher.watch(b)));
                }
                boolean news = false;
                for (StepWatch w : watching.values()) {
                    news |= w.drain();
                }
                if (state.finished()) {
                    // A step that failed between two looks: its log is read now, for the error's tail.
                    SubmissionState ended = state;
                    if (ended.failingBuild() != null) {
                        watching.computeIfAbsent(ended.failingBuild(),
                                b -> new StepWatch(session, ended.failingStep(), watcher.watch(b)));
                    }
                    break;
                }
                // Asked after every update too: a build that logs all the time must not hide a client that left.
                if (session.clientGone()) {
                    throw new StoreException("the client hung up while '" + storeDir.print(drvPath) + "' was building");
                }
                Thread.sleep(news ? SUBMISSION_POLL.toMillis() : wait);
                wait = Math.min(MAX_SUBMISSION_POLL.toMillis(), wait * 3 / 2);
                state = call(() -> functions.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery(id)));
            }
            // The steps that ended just now: their last lines.
            for (StepWatch w : watching.values()) {
                w.finish();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonSubmission(id);
            throw new StoreException("interrupted while waiting for a build");
        } catch (RuntimeException e) {
            abandonSubmission(id);
            throw e;
        } finally {
            watching.values().forEach(StepWatch::close);
        }
        return result(session, drvPath, state, watching);
    }

    /** The client is gone (or the proxy stops): the submission is abandoned; steps nobody else needs stop. */
    private void abandonSubmission(String submission) {
        try {
            functions.call(StoreFunction.ABANDON_SUBMISSION, new AbandonSubmission(submission));
        } catch (RuntimeException ignored) {
            // best effort: the graph ends on its own anyway
        }
    }

    private BuildResult result(Session session, StorePath drvPath, SubmissionState state, Map<String, StepWatch> watched) {
        if (SubmissionState.BUILT.equals(state.status())) {
            Derivation drv = derivations.read(drvPath);
            Supplier<SortedMap<String, Hash>> hashes = outputHashes(drv);
            SortedMap<String, StorePath> outputs = validOutputs(drv, hashes).orElseThrow(() -> new StoreException(
                    "'" + storeDir.print(drvPath) + "' was built but its outputs are not valid (collected since?)"));
            rootOutputs(session, outputs.values());
            SortedMap<String, Realisation> built = realisationsOf(hashes.get(), outputs);
            if (!state.outputs().contains("*")) {
                built.keySet().retainAll(state.outputs());
            }
            return new BuildResult(BuildStatus.BUILT, "", 1, false, state.submittedAt(), state.stopTime(), Optional.empty(),
                    Optional.empty(), new TreeMap<>(built));
        }
        BuildStatus status = switch (state.status()) {
            case SubmissionState.TIMED_OUT -> BuildStatus.TIMED_OUT;
            case SubmissionState.DEPENDENCY_FAILED -> BuildStatus.DEPENDENCY_FAILED;
            case SubmissionState.CANCELLED -> BuildStatus.MISC_FAILURE;
            default -> state.failingStatus() == null ? BuildStatus.MISC_FAILURE : BuildStatus.fromJsonName(state.failingStatus());
        };
        String message = state.error() == null ? "building '" + storeDir.print(drvPath) + "' failed" : state.error();
        StepWatch failing = watched.values().stream().filter(w -> w.drvPath.equals(state.failingStep())).findFirst().orElse(null);
        if (failing != null && !failing.tail.isEmpty()) {
            message += ";\nlast " + failing.tail.size() + " log lines:\n> " + String.join("\n> ", failing.tail);
        }
        return new BuildResult(status, message, 0, false, state.submittedAt(), state.stopTime(), Optional.empty(),
                Optional.empty(), new TreeMap<>());
    }

    /**
     * Built outputs are the connection's temporary roots, as paths it added. A collection keeps a
     * finished build's outputs for a while on its own, so the client need not wait for this write;
     * should it land after the connection closed, the root lapses with its lease.
     */
    private void rootOutputs(Session session, Collection<StorePath> outputs) {
        List<String> paths = outputs.stream().map(storeDir::print).toList();
        String connection = session.connectionId();
        Thread.ofVirtual().name("temp-roots-" + connection).start(() -> {
            try {
                functions.call(StoreFunction.ADD_TEMP_ROOTS, new RootEvents.AddTempRoots(connection, paths, 0));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "rooting built outputs for " + connection + " failed", e);
            }
        });
    }

    /** One step's build as the client sees it: an activity, its log lines, and their tail for an error. */
    private final class StepWatch implements AutoCloseable {
        final String drvPath;
        final ArrayDeque<String> tail = new ArrayDeque<>();
        private final Session session;
        private final BuildWatcher.Watch watch;
        private final long activity;
        private boolean done;

        StepWatch(Session session, String drvPath, BuildWatcher.Watch watch) {
            this.session = session;
            this.drvPath = drvPath;
            this.watch = watch;
            this.activity = session.logger().startActivity(Stderr.LVL_INFO, Stderr.ACT_BUILD, "building '" + drvPath + "'",
                    List.of(drvPath, "", 1L, 1L), 0);
        }

        /**
         * Passes on the next update, waiting up to {@code timeout} for one: its log lines to the
         * client (and the tail), and its end. Null when none came.
         */
        BuildState next(Duration timeout) throws InterruptedException {
            BuildState s = done ? null : watch.next(timeout);
            if (s == null) {
                return null;
            }
            for (String line : s.log()) {
                session.logger().result(activity, Stderr.RES_BUILD_LOG_LINE, List.of(line));
                tail.addLast(line);
                if (tail.size() > TAIL_LINES) {
                    tail.removeFirst();
                }
            }
            if (s.finished()) {
                done = true;
                session.logger().stopActivity(activity);
            }
            return s;
        }

        /** Passes on what came; true when something did. */
        boolean drain() throws InterruptedException {
            boolean news = false;
            while (next(Duration.ZERO) != null) {
                news = true;
            }
            return news;
        }

        /** Waits a little for the end of a build the graph saw end (its last lines). */
        void finish() throws InterruptedException {
            for (int i = 0; i < 50 && !done; i++) {
                next(Duration.ofMillis(20));
            }
        }

        @Override
        public void close() {
            if (!done) {
                session.logger().stopActivity(activity);
            }
            watch.close();
        }
    }

    /**
     * The outputs' paths when all are valid already (floating ones through their realisations, for
     * which the derivation is hashed: {@code hashes} is asked only then).
     */
    private Optional<SortedMap<String, StorePath>> validOutputs(Derivation drv, Supplier<SortedMap<String, Hash>> hashes) {
        SortedMap<String, StorePath> found = new TreeMap<>();
        for (Map.Entry<String, Optional<StorePath>> e : drv.outputPaths(storeDir).entrySet()) {
            if (e.getValue().isPresent()) {
                found.put(e.getKey(), e.getValue().get());
                continue;
            }
            Hash h = hashes.get().get(e.getKey());
            Optional<Realisation> r = h == null ? Optional.empty() : realisations.query(new DrvOutput.ByHash(h, e.getKey()));
            if (r.isEmpty()) {
                return Optional.empty();
            }
            found.put(e.getKey(), r.get().outPath());
        }
        return paths.queryValidPaths(new TreeSet<>(found.values())).size() == new TreeSet<>(found.values()).size()
                ? Optional.of(found) : Optional.empty();
    }

    /**
     * Each output's hash modulo, computed on first use and then kept: hashing reads the input
     * derivations from the store, so one realisation hashes each derivation once.
     */
    private Supplier<SortedMap<String, Hash>> outputHashes(Derivation drv) {
        return new Supplier<>() {
            private SortedMap<String, Hash> hashes;

            @Override
            public SortedMap<String, Hash> get() {
                if (hashes == null) {
                    try {
                        hashes = new DerivationHasher(storeDir, derivations::read).hashModulo(drv, true).outputHashes();
                    } catch (RuntimeException e) {
                        hashes = new TreeMap<>();
                    }
                }
                return hashes;
            }
        };
    }

    private static SortedMap<String, Realisation> realisationsOf(SortedMap<String, Hash> hashes, Map<String, StorePath> outputs) {
        SortedMap<String, Realisation> r = new TreeMap<>();
        outputs.forEach((name, path) -> {
            Hash h = hashes.get(name);
            if (h != null) {
                r.put(name, Realisation.of(new DrvOutput.ByHash(h, name), path));
            }
        });
        return r;
    }

    private BuildResult submitAndWait(Session session, StorePath drvPath, Derivation drv, TreeSet<StorePath> inputs,
                                      SortedMap<String, Hash> hashes) {
        Map<String, String> hashTexts = new TreeMap<>();
        hashes.forEach((name, h) -> hashTexts.put(name, h.toString()));
        long timeout = parseLong(session.options().overrides().get("timeout"));
        BuildState state = call(() -> functions.call(StoreFunction.SUBMIT_BUILD, new SubmitBuild(storeDir.print(drvPath),
                drv.toAterm(storeDir), inputs.stream().map(storeDir::print).toList(), hashTexts, timeout,
                session.options().maxSilentTime(), GraphEvents.FROM_CLIENT)));
        String id = state.id();
        String printed = storeDir.print(drvPath);
        StepWatch step = new StepWatch(session, printed, watcher.watch(id));
        try (step) {
            while (true) {
                BuildState update = step.next(CLIENT_CHECK);
                if (update != null) {
                    state = update;
                    if (state.finished()) {
                        break;
                    }
                }
                // Asked after every update too: a build that logs all the time must not hide a client that left.
                if (session.clientGone()) {
                    throw new StoreException("the client hung up while '" + printed + "' was building");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonBuild(id);
            throw new StoreException("interrupted while waiting for a build");
        } catch (RuntimeException e) {
            abandonBuild(id);
            throw e;
        }
        if (BuildState.BUILT.equals(state.state()) && !state.outputs().isEmpty()) {
            rootOutputs(session, state.outputs().values().stream().map(storeDir::parse).toList());
        }
        return result(hashes, state, step.tail);
    }

    /** The client is gone (or the proxy stops): this waiter leaves; the build is cancelled if it was the last. */
    private void abandonBuild(String id) {
        try {
            functions.call(StoreFunction.ABANDON_BUILD, new AbandonBuild(id));
        } catch (RuntimeException ignored) {
            // best effort: the build ends on its own anyway
        }
    }

    private BuildResult result(SortedMap<String, Hash> hashes, BuildState state, ArrayDeque<String> tail) {
        BuildStatus status = state.status() == null ? BuildStatus.MISC_FAILURE : BuildStatus.fromJsonName(state.status());
        if (!status.isSuccess()) {
            // Nix's wording: a builder "failed with exit code N"; a timeout is the build's ("building of … timed out").
            String message = (status == BuildStatus.TIMED_OUT ? "building of '" : "builder for '") + state.drvPath() + "' "
                    + (state.error() == null ? "failed" : state.error());
            if (!tail.isEmpty()) {
                message += ";\nlast " + tail.size() + " log lines:\n> " + String.join("\n> ", tail);
            }
            return new BuildResult(status, message, state.attempts(), false, state.startTime(), state.stopTime(),
                    Optional.empty(), Optional.empty(), new TreeMap<>());
        }
        SortedMap<String, StorePath> outputs = new TreeMap<>();
        state.outputs().forEach((name, path) -> outputs.put(name, storeDir.parse(path)));
        return new BuildResult(status, "", 1, false, state.startTime(), state.stopTime(), Optional.empty(), Optional.empty(),
                realisationsOf(hashes, outputs));
    }

    private static BuildResult failure(BuildStatus status, String message) {
        long now = System.currentTimeMillis() / 1000;
        return new BuildResult(status, message, 0, false, now, now, Optional.empty(), Optional.empty(), new TreeMap<>());
    }

    @Override
    public void ensurePath(Session session, StorePath path) {
        if (paths.queryPathInfo(path).isEmpty()) {
            Map<String, String> failed = substitutions.substitute(session, Set.of(path), Set.of());
            if (!failed.isEmpty()) {
                throw new StoreException(String.join("; ", failed.values()));
            }
        }
    }

    @Override
    public MissingPaths queryMissing(List<DerivedPath> targets) {
        TreeSet<StorePath> willBuild = new TreeSet<>();
        TreeSet<StorePath> willSubstitute = new TreeSet<>();
        TreeSet<StorePath> unknown = new TreeSet<>();
        ArrayDeque<StorePath> todo = new ArrayDeque<>();
        for (DerivedPath t : targets) {
            if (t instanceof DerivedPath.Built b && b.drvPath() instanceof SingleDerivedPath.Opaque drv) {
                todo.add(drv.path());
            }
        }
        TreeSet<StorePath> seen = new TreeSet<>();
        while (!todo.isEmpty()) {
            StorePath drvPath = todo.removeFirst();
            if (!seen.add(drvPath)) {
                continue;
            }
            if (paths.queryPathInfo(drvPath).isEmpty()) {
                unknown.add(drvPath);
                continue;
            }
            Derivation drv = derivations.read(drvPath);
            if (validOutputs(drv, outputHashes(drv)).isPresent()) {
                continue;
            }
            TreeSet<StorePath> outputs = new TreeSet<>();
            drv.outputPaths(storeDir).values().forEach(o -> o.ifPresent(outputs::add));
            // Outputs a substituter has are fetched, not built (floating ones are found only when building).
            boolean allFixed = !outputs.isEmpty() && outputs.size() == drv.outputs().size();
            if (allFixed && substitutions.querySubstitutablePaths(outputs).size() == outputs.size()) {
                willSubstitute.addAll(outputs);
                continue;
            }
            willBuild.add(drvPath);
            todo.addAll(drv.inputDrvs().keySet());
        }
        // The sizes, and the closure of what is fetched, are the caller's (MissingPathsPlanner).
        return new MissingPaths(willBuild, willSubstitute, unknown, 0, 0);
    }

    @Override
    public void addBuildLog(StorePath drvPath, InputStream log) {
        try {
            bucket.put(BinaryCacheLayout.logKey(drvPath), log.readAllBytes(), "text/plain; charset=utf-8");
        } catch (IOException e) {
            throw new UncheckedIOException("storing the log of '" + storeDir.print(drvPath) + "': " + e.getMessage(), e);
        }
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
