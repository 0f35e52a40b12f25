package dev.cumulus.proxy;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.NarVisitor;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.BuildResult;
import dev.cumulus.model.wire.BuildStatus;
import dev.cumulus.model.wire.CommonCodec;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.WireFormatException;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.NarService.PathBatch;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The store operations both protocols perform for one connection ({@link DaemonConnection} for
 * the worker protocol, {@link ServeConnection} for the serve protocol), with the rules that hold
 * whatever the protocol: what an untrusted caller may not do, when signatures are checked, which
 * build targets need no builder, and the export format of ImportPaths and ExportPath(s). The
 * connections decode, call these, and encode the answer in their client's version.
 */
final class StoreOperations {
    private static final long EXPORT_MAGIC = 0x4558494eL;

    private final StoreDir storeDir;
    private final Backends backends;
    private final Session session;
    private final CommonCodec codec;

    StoreOperations(StoreDir storeDir, Backends backends, Session session) {
        this.storeDir = storeDir;
        this.backends = backends;
        this.session = session;
        this.codec = new CommonCodec(storeDir);
    }

    private boolean trusted() {
        return session.caller().trusted();
    }

    Optional<PathInfo> queryPathInfo(StorePath path) {
        return backends.pathInfo().queryPathInfo(path);
    }

    PathInfo validInfo(StorePath path) {
        return queryPathInfo(path).orElseThrow(() -> new StoreException("path '" + storeDir.print(path) + "' is not valid"));
    }

    /**
     * Which of {@code paths} are valid. With {@code substitute}, as the daemon does for
     * builders-use-substitutes and --substitute-on-destination, what is missing is fetched first;
     * what cannot be had is just not valid (a warning says why).
     */
    SortedSet<StorePath> queryValidPaths(Set<StorePath> paths, boolean substitute) {
        if (substitute) {
            TreeSet<StorePath> missing = new TreeSet<>(paths);
            missing.removeAll(backends.pathInfo().queryValidPaths(paths));
            SortedSet<StorePath> offered = missing.isEmpty() ? new TreeSet<>()
                    : backends.substitutions().querySubstitutablePaths(missing);
            if (!offered.isEmpty()) {
                backends.substitutions().substitute(session, offered, Set.of())
                        .forEach((what, why) -> session.logger().log(Stderr.LVL_WARN, "warning: " + why));
            }
        }
        return backends.pathInfo().queryValidPaths(paths);
    }

    /**
     * The closure of {@code paths} under references (each must be valid); with
     * {@code includeOutputs}, each derivation's valid outputs and their closures too.
     */
    SortedSet<StorePath> closure(Collection<StorePath> paths, boolean includeOutputs) {
        SortedSet<StorePath> seen = new TreeSet<>();
        ArrayDeque<StorePath> todo = new ArrayDeque<>(paths);
        while (!todo.isEmpty()) {
            StorePath p = todo.pop();
            if (!seen.add(p)) {
                continue;
            }
            todo.addAll(validInfo(p).references());
            if (includeOutputs && p.isDerivation()) {
                Set<StorePath> outputs = new TreeSet<>();
                backends.pathInfo().queryDerivationOutputMap(p).values().forEach(o -> o.ifPresent(outputs::add));
                todo.addAll(outputs.isEmpty() ? Set.of() : backends.pathInfo().queryValidPaths(outputs));
            }
        }
        return seen;
    }

    void addTempRoot(StorePath path) {
        backends.roots().addTempRoot(session, path);
    }

    /** The NAR of a valid path, raw to {@code out}. */
    void narFromPath(StorePath path, OutputStream out) {
        validInfo(path);
        backends.nars().narFromPath(path, out);
    }

    /**
     * One path and its NAR. An untrusted caller's {@code ultimate} flag is dropped, and only a
     * trusted caller may repair or have signatures go unchecked.
     */
    void addToStoreNar(PathInfo info, InputStream nar, boolean repair, boolean dontCheckSigs) {
        backends.nars().addPath(session, trusted() ? info : withoutUltimate(info), nar, repair && trusted(),
                !(dontCheckSigs && trusted()));
    }

    /** A batch of paths (AddMultipleToStore); the same rules as {@link #addToStoreNar}. */
    PathBatch addPaths(boolean repair, boolean dontCheckSigs) {
        return backends.nars().addPaths(session, repair && trusted(), !(dontCheckSigs && trusted()));
    }

    static PathInfo withoutUltimate(PathInfo i) {
        return new PathInfo(i.path(), i.deriver(), i.narHash(), i.narSize(), i.references(), i.registrationTime(), false,
                i.signatures(), i.ca());
    }

    /**
     * ImportPaths: {@code nix-store --export} records, each a 1, a NAR, then its metadata, until a 0.
     * Signatures are checked unless the caller is trusted (the export format carries none).
     */
    List<StorePath> importPaths(InputStream records, WireLimits limits) throws IOException {
        WireReader r = new WireReader(records, limits);
        List<StorePath> imported = new ArrayList<>();
        try (PathBatch batch = backends.nars().addPaths(session, false, !trusted())) {
            while (r.readNum() == 1) {
                Path spool = Files.createTempFile("cumulus-import", ".nar");
                try {
                    HashSink sink = new HashSink(HashAlgorithm.SHA256);
                    try (OutputStream file = Files.newOutputStream(spool)) {
                        NarReader.read(new TeeInputStream(new TeeInputStream(records, file), sink), new NarVisitor() { });
                    }
                    if (r.readNum() != EXPORT_MAGIC) {
                        throw new WireFormatException("the export record lacks its magic number");
                    }
                    StorePath path = codec.readStorePath(r);
                    SortedSet<StorePath> refs = codec.readStorePaths(r);
                    Optional<StorePath> deriver = codec.readOptionalStorePath(r);
                    if (r.readNum() != 0) {
                        throw new StoreException("signed export records (Nix before 2.0) are not supported");
                    }
                    PathInfo info = new PathInfo(path, deriver, sink.finish(), sink.size(), refs, 0, false, List.of(), Optional.empty());
                    try (InputStream nar = Files.newInputStream(spool)) {
                        batch.add(info, nar);
                    }
                    imported.add(path);
                } finally {
                    Files.deleteIfExists(spool);
                }
            }
            batch.finish();
        }
        return imported;
    }

    /** One path's export record without its leading 1: the NAR, then its metadata. */
    void exportPath(StorePath path, OutputStream out) throws IOException {
        PathInfo info = validInfo(path);
        backends.nars().narFromPath(path, out);
        WireWriter w = new WireWriter(out);
        w.writeNum(EXPORT_MAGIC);
        codec.writeStorePath(w, path);
        codec.writeStorePaths(w, info.references());
        codec.writeOptionalStorePath(w, info.deriver());
        w.writeNum(0);
    }

    /** Export records for {@code paths}, each path after those it references, then the closing 0. */
    void exportPaths(Collection<StorePath> paths, OutputStream out) throws IOException {
        Map<StorePath, PathInfo> infos = new TreeMap<>();
        for (StorePath p : paths) {
            infos.put(p, validInfo(p));
        }
        LinkedHashSet<StorePath> order = new LinkedHashSet<>();
        for (StorePath p : infos.keySet()) {
            visitReferencesFirst(p, infos, order, new TreeSet<>());
        }
        WireWriter w = new WireWriter(out);
        for (StorePath p : order) {
            w.writeNum(1);
            exportPath(p, out);
        }
        w.writeNum(0);
    }

    private static void visitReferencesFirst(StorePath p, Map<StorePath, PathInfo> infos, LinkedHashSet<StorePath> order,
                                             Set<StorePath> onStack) {
        if (order.contains(p) || !onStack.add(p)) {
            return;
        }
        for (StorePath ref : infos.get(p).references()) {
            if (infos.containsKey(ref) && !ref.equals(p)) {
                visitReferencesFirst(ref, infos, order, onStack);
            }
        }
        order.add(p);
    }

    void checkMode(BuildMode mode) {
        if (mode == BuildMode.REPAIR && !trusted()) {
            throw new StoreException("repairing is not allowed because you are not a trusted user of this store");
        }
    }

    /**
     * BuildPaths and BuildPathsWithResults. Opaque paths are valid already ({@code nix copy --from}
     * "builds" the opaque paths it copies; in repair mode, a valid one is checked and restored where
     * damaged) or substituted; so are derivations whose outputs are all
     * valid (content-addressed ones through their realisations). Only the rest go to the build
     * service. {@code outputsByHashId}: name built outputs by their {@code sha256:…!out} ids (the
     * worker protocol from 1.28 without the path feature) rather than by name alone.
     */
    List<KeyedBuildResult> build(List<DerivedPath> targets, BuildMode mode, boolean outputsByHashId) {
        checkMode(mode);
        TreeSet<StorePath> opaque = new TreeSet<>();
        List<DerivedPath> derivations = new ArrayList<>();
        Map<DerivedPath, KeyedBuildResult> built = new HashMap<>();
        KnownOutputs known = new KnownOutputs(storeDir, backends);
        long now = System.currentTimeMillis() / 1000;
        for (DerivedPath t : targets) {
            switch (t) {
                case DerivedPath.Opaque o -> opaque.add(o.path());
                case DerivedPath.Built b -> {
                    var outputs = known.valid(b, outputsByHashId);
                    if (outputs.isPresent()) {
                        built.put(t, new KeyedBuildResult(t, new BuildResult(BuildStatus.ALREADY_VALID, "", 0, false, now, now,
                                Optional.empty(), Optional.empty(), outputs.get())));
                    } else {
                        derivations.add(b);
                    }
                }
            }
        }
        Set<StorePath> valid = opaque.isEmpty() ? Set.of() : backends.pathInfo().queryValidPaths(opaque);
        TreeSet<StorePath> missing = new TreeSet<>(opaque);
        missing.removeAll(valid);
        // Repairing a valid path: its NAR and narinfo checked, and fetched or written again if damaged.
        Map<StorePath, String> unrepaired = mode == BuildMode.REPAIR && !valid.isEmpty()
                ? backends.roots().repair(session, valid) : Map.of();
        Map<String, String> unsubstituted = missing.isEmpty() ? Map.of()
                : backends.substitutions().substitute(session, missing, Set.of());
        if (!derivations.isEmpty()) {
            backends.builds().build(session, derivations, mode).forEach(k -> built.put(k.path(), k));
        }
        List<KeyedBuildResult> results = new ArrayList<>();
        for (DerivedPath t : targets) {
            if (t instanceof DerivedPath.Opaque o) {
                String printed = storeDir.print(o.path());
                String error = unrepaired.containsKey(o.path()) ? "cannot repair path '" + printed + "': "
                        + unrepaired.get(o.path()) : unsubstituted.getOrDefault(printed, "");
                BuildStatus status = !error.isEmpty() ? BuildStatus.MISC_FAILURE
                        : valid.contains(o.path()) ? BuildStatus.ALREADY_VALID : BuildStatus.SUBSTITUTED;
                results.add(new KeyedBuildResult(t, new BuildResult(status, error,
                        0, false, now, now, Optional.empty(), Optional.empty(), new TreeMap<>())));
            } else if (built.containsKey(t)) {
                results.add(built.get(t));
            }
        }
        return results;
    }

    /** Each failed target's "building '…' failed: …", for protocols that answer a build with one error. */
    List<String> failures(List<KeyedBuildResult> results) {
        List<String> failures = new ArrayList<>();
        for (KeyedBuildResult k : results) {
            if (!k.result().isSuccess()) {
                failures.add("building '" + k.path().render(storeDir) + "' failed: " + k.result().errorMsg());
            }
        }
        return failures;
    }

    /**
     * BuildDerivation: a remote builder's one derivation with the inputs the client sent. Only a
     * trusted caller may build an input-addressed one (its outputs cannot be checked against it).
     */
    BuildResult buildDerivation(StorePath drvPath, Derivation drv, BuildMode mode) {
        checkMode(mode);
        boolean contentAddressed = drv.outputs().values().stream()
                .noneMatch(o -> o instanceof DerivationOutput.InputAddressed || o instanceof DerivationOutput.Deferred);
        if (!contentAddressed && !trusted()) {
            throw new StoreException("you are not privileged to build input-addressed derivations");
        }
        return backends.builds().buildDerivation(session, drvPath, drv, mode);
    }
}
