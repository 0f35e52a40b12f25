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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
        Map<StorePath, CompletableFuture<BuildResult>> realising = new ConcurrentHashMap<>();
        List<KeyedBuildResult> results = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<BuildResult>> futures = new ArrayList<>();
            for (DerivedPath t : targets) {
                if (!(t instanceof DerivedPath.Built b) || !(b.drvPath() instanceof SingleDerivedPath.Opaque drv)) {
                    futures.add(CompletableFuture.completedFuture(failure(BuildStatus.MISC_FAILURE,
                            "Cumulus builds derivations named by their store path only, not '" + t.render(storeDir) + "'")));
                    continue;
                }
                futures.add(realise(session, drv.path(), realising, threads));
            }
            for (int i = 0; i < targets.size(); i++) {
                BuildResult r = futures.get(i).join();
                if (r.isSuccess() && targets.get(i) instanceof DerivedPath.Built b && b.outputs() instanceof OutputsSpec.Names names) {
                    TreeMap<String, Realisation> wanted = new TreeMap<>(r.builtOutputs());
                    wanted.keySet().retainAll(names.names());
                    r = new BuildResult(r.status(), r.errorMsg(), r.timesBuilt(), r.isNonDeterministic(), r.startTime(),
                            r.stopTime(), r.cpuUser(), r.cpuSystem(), wanted);
                }
                results.add(new KeyedBuildResult(targets.get(i), r));
            }
        }
        return results;
    }

    /** The derivation built, its inputs first; each derivation once per call however often it is needed. */
    private CompletableFuture<BuildResult> realise(Session session, StorePath drvPath,
                                                   Map<StorePath, CompletableFuture<BuildResult>> realising, ExecutorService threads) {
        CompletableFuture<BuildResult> existing = realising.get(drvPath);
        if (existing != null) {
            return existing;
        }
        CompletableFuture<BuildResult> mine = new CompletableFuture<>();
        existing = realising.putIfAbsent(drvPath, mine);
        if (existing != null) {
            return existing;
        }
        threads.submit(() -> {
            try {
                mine.complete(realiseNow(session, drvPath, realising, threads));
            } catch (RuntimeException e) {
                mine.complete(failure(BuildStatus.MISC_FAILURE, e.getMessage()));
            }
        });
        return mine;
    }

    private BuildResult realiseNow(Session session, StorePath drvPath,
                                   Map<StorePath, CompletableFuture<BuildResult>> realising, ExecutorService threads) {
        Derivation drv = derivations.read(drvPath);
        Supplier<SortedMap<String, Hash>> hashes = outputHashes(drv);
        Optional<SortedMap<String, StorePath>> valid = validOutputs(drv, hashes);
        if (valid.isPresent()) {
            long now = System.currentTimeMillis() / 1000;
            return new BuildResult(BuildStatus.ALREADY_VALID, "", 0, false, now, now, Optional.empty(), Optional.empty(),
                    realisationsOf(hashes.get(), valid.get()));
        }
        Optional<SortedMap<String, StorePath>> substituted = substituteOutputs(session, drvPath, drv, hashes);
        if (substituted.isPresent()) {
            long now = System.currentTimeMillis() / 1000;
            return new BuildResult(BuildStatus.SUBSTITUTED, "", 0, false, now, now, Optional.empty(), Optional.empty(),
                    realisationsOf(hashes.get(), substituted.get()));
        }
        Map<StorePath, CompletableFuture<BuildResult>> inputs = new TreeMap<>();
        drv.inputDrvs().keySet().forEach(in -> inputs.put(in, realise(session, in, realising, threads)));
        TreeSet<StorePath> inputPaths = new TreeSet<>(drv.inputSrcs());
        for (Map.Entry<StorePath, CompletableFuture<BuildResult>> in : inputs.entrySet()) {
            BuildResult r = in.getValue().join();
            if (!r.isSuccess()) {
                return failure(BuildStatus.DEPENDENCY_FAILED, "dependency '" + storeDir.print(in.getKey()) + "' of '"
                        + storeDir.print(drvPath) + "' failed: " + r.errorMsg());
            }
            for (String name : drv.inputDrvs().get(in.getKey()).outputs()) {
                Realisation out = r.builtOutputs().get(name);
                if (out == null) {
                    return failure(BuildStatus.DEPENDENCY_FAILED, "dependency '" + storeDir.print(in.getKey())
                            + "' has no output '" + name + "'");
                }
                inputPaths.add(out.outPath());
            }
        }
        TreeSet<StorePath> missingSources = new TreeSet<>(drv.inputSrcs());
        missingSources.removeAll(paths.queryValidPaths(missingSources));
        if (!missingSources.isEmpty()) {
            Map<String, String> failed = substitutions.substitute(session, missingSources, Set.of());
            if (!failed.isEmpty()) {
                return failure(BuildStatus.DEPENDENCY_FAILED, "cannot build '" + storeDir.print(drvPath) + "': "
                        + String.join("; ", failed.values()));
            }
        }
        return submitAndWait(session, drvPath, drv, inputPaths, hashes.get());
    }

    /**
     * The outputs fetched from the substituters when they have them all, as a nix-daemon tries before
     * building: input-addressed ones by path, floating ones through upstream realisations.
     */
    private Optional<SortedMap<String, StorePath>> substituteOutputs(Session session, StorePath drvPath, Derivation drv,
                                                                    Supplier<SortedMap<String, Hash>> hashes) {
        TreeSet<StorePath> fixed = new TreeSet<>();
        TreeSet<DrvOutput> floating = new TreeSet<>();
        for (Map.Entry<String, Optional<StorePath>> e : drv.outputPaths(storeDir).entrySet()) {
            if (e.getValue().isPresent()) {
                fixed.add(e.getValue().get());
            } else {
                Hash h = hashes.get().get(e.getKey());
                if (h == null) {
                    return Optional.empty(); // impure or deferred: built, never substituted
                }
                floating.add(new DrvOutput.ByHash(h, e.getKey()));
            }
        }
        if (floating.isEmpty() && substitutions.querySubstitutablePaths(fixed).size() < fixed.size()) {
            return Optional.empty();
        }
        Map<String, String> failed = substitutions.substitute(session, fixed, floating);
        if (failed.isEmpty()) {
            return validOutputs(drv, hashes);
        }
        // Offered but not fetched (a bad NAR, an upstream gone meanwhile): Nix builds instead only with --fallback.
        if (floating.isEmpty() && !session.options().tryFallback()) {
            throw new StoreException("some substitutes for the outputs of derivation '" + storeDir.print(drvPath)
                    + "' failed (usually happens due to networking issues); try '--fallback' to build derivation from "
                    + "source: " + String.join("; ", failed.values()));
        }
        return Optional.empty();
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
                session.options().maxSilentTime(), (int) session.options().buildCores())));
        String id = state.id();
        String printed = storeDir.print(drvPath);
        long activity = session.logger().startActivity(Stderr.LVL_INFO, Stderr.ACT_BUILD, "building '" + printed + "'",
                List.of(printed, "", 1L, 1L), 0);
        ArrayDeque<String> tail = new ArrayDeque<>();
        try (BuildWatcher.Watch watch = watcher.watch(id)) {
            while (true) {
                BuildState update = watch.next(CLIENT_CHECK);
                if (update != null) {
                    state = update;
                    for (String line : state.log()) {
                        session.logger().result(activity, Stderr.RES_BUILD_LOG_LINE, List.of(line));
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
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
            abandon(id);
            throw new StoreException("interrupted while waiting for a build");
        } catch (RuntimeException e) {
            abandon(id);
            throw e;
        } finally {
            session.logger().stopActivity(activity);
        }
        if (BuildState.BUILT.equals(state.state()) && !state.outputs().isEmpty()) {
            // Built outputs are the connection's temporary roots, as paths it added. A collection keeps a
            // finished build's outputs for GarbageCollector.FINISHED_BUILD_HOLD_SECONDS on its own, so
            // the client need not wait for this write: it is a round trip on every build's critical path.
            // Should it land after the connection closed, the root lapses with its lease.
            List<String> outputs = List.copyOf(state.outputs().values());
            String connection = session.connectionId();
            Thread.ofVirtual().name("temp-roots-" + id).start(() -> {
                try {
                    functions.call(StoreFunction.ADD_TEMP_ROOTS, new RootEvents.AddTempRoots(connection, outputs, 0));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "rooting the outputs of build " + id + " for " + connection + " failed", e);
                }
            });
        }
        return result(hashes, state, tail);
    }

    /** The client is gone (or the proxy stops): this waiter leaves; the build is cancelled if it was the last. */
    private void abandon(String id) {
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
