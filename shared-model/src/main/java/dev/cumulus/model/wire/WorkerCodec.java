package dev.cumulus.model.wire;

import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The worker protocol's types, one read/write pair each, for one negotiated version and feature
 * set (as Nix's {@code WorkerProto::Serialise}); the types both protocols share are
 * {@link CommonCodec}'s.
 */
public final class WorkerCodec extends CommonCodec {
    /** Build results carry realisations keyed by output name with store-path ids (Nix 2.35). */
    public static final String FEATURE_REALISATION_WITH_PATH = "realisation-with-path-not-hash";
    /** CollectGarbage names the whole store or specific paths, with or without their referrers (Nix 2.35). */
    public static final String FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS = "delete-dead-specific-referrers";
    /** The 1.38 features this codec speaks, as a daemon offers them. */
    public static final Set<String> FEATURES = Set.of(FEATURE_REALISATION_WITH_PATH, FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS);

    private final ProtocolVersion version;
    private final Set<String> features;

    public WorkerCodec(StoreDir storeDir, ProtocolVersion version, Set<String> features) {
        super(storeDir);
        this.version = version;
        this.features = Set.copyOf(features);
    }

    public WorkerCodec(StoreDir storeDir, ProtocolVersion version) {
        this(storeDir, version, Set.of());
    }

    public ProtocolVersion version() {
        return version;
    }

    public Set<String> features() {
        return features;
    }

    @Override
    protected boolean outputsByPath() {
        return features.contains(FEATURE_REALISATION_WITH_PATH);
    }

    private boolean deleteDeadSpecificReferrers() {
        return features.contains(FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS);
    }

    // --- store paths -------------------------------------------------------------------------

    /** QueryDerivationOutputMap's answer: output name to its path, if known. */
    public SortedMap<String, Optional<StorePath>> readOutputMap(WireReader r) throws IOException {
        int n = r.readCount("an output map");
        SortedMap<String, Optional<StorePath>> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            String name = r.readString();
            out.put(name, readOptionalStorePath(r));
        }
        return out;
    }

    public void writeOutputMap(WireWriter w, Map<String, Optional<StorePath>> outputs) throws IOException {
        w.writeNum(outputs.size());
        for (Map.Entry<String, Optional<StorePath>> e : outputs.entrySet()) {
            w.writeString(e.getKey());
            writeOptionalStorePath(w, e.getValue());
        }
    }

    /** QuerySubstitutablePathInfo's answer: whether a substituter has the path, then its deriver, references and sizes. */
    public Optional<SubstitutablePathInfo> readSubstitutablePathInfo(WireReader r) throws IOException {
        if (!r.readBool()) {
            return Optional.empty();
        }
        return Optional.of(readSubstitutableInfoFields(r));
    }

    public void writeSubstitutablePathInfo(WireWriter w, Optional<SubstitutablePathInfo> info) throws IOException {
        w.writeBool(info.isPresent());
        if (info.isPresent()) {
            writeSubstitutableInfoFields(w, info.get());
        }
    }

    /** QuerySubstitutablePathInfos' answer: each path a substituter has, with its deriver, references and sizes. */
    public SortedMap<StorePath, SubstitutablePathInfo> readSubstitutablePathInfos(WireReader r) throws IOException {
        int n = r.readCount("substitutable path infos");
        SortedMap<StorePath, SubstitutablePathInfo> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            StorePath path = readStorePath(r);
            out.put(path, readSubstitutableInfoFields(r));
        }
        return out;
    }

    public void writeSubstitutablePathInfos(WireWriter w, Map<StorePath, SubstitutablePathInfo> infos) throws IOException {
        w.writeNum(infos.size());
        for (Map.Entry<StorePath, SubstitutablePathInfo> e : infos.entrySet()) {
            writeStorePath(w, e.getKey());
            writeSubstitutableInfoFields(w, e.getValue());
        }
    }

    private SubstitutablePathInfo readSubstitutableInfoFields(WireReader r) throws IOException {
        Optional<StorePath> deriver = readOptionalStorePath(r);
        SortedSet<StorePath> references = readStorePaths(r);
        long downloadSize = r.readNum();
        long narSize = r.readNum();
        return new SubstitutablePathInfo(deriver, references, downloadSize, narSize);
    }

    private void writeSubstitutableInfoFields(WireWriter w, SubstitutablePathInfo info) throws IOException {
        writeOptionalStorePath(w, info.deriver());
        writeStorePaths(w, info.references());
        w.writeNum(info.downloadSize()).writeNum(info.narSize());
    }

    /** QuerySubstitutablePathInfos' argument since 1.22: paths with their content address, if known. */
    public SortedMap<StorePath, Optional<ContentAddress>> readStorePathCaMap(WireReader r) throws IOException {
        int n = r.readCount("a map of store paths");
        SortedMap<StorePath, Optional<ContentAddress>> out = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            StorePath p = readStorePath(r);
            out.put(p, readOptionalContentAddress(r));
        }
        return out;
    }

    public void writeStorePathCaMap(WireWriter w, Map<StorePath, Optional<ContentAddress>> map) throws IOException {
        w.writeNum(map.size());
        for (Map.Entry<StorePath, Optional<ContentAddress>> e : map.entrySet()) {
            writeStorePath(w, e.getKey());
            writeOptionalContentAddress(w, e.getValue());
        }
    }

    // --- content addresses, hashes, signatures -----------------------------------------------

    // --- path infos --------------------------------------------------------------------------

    /** ValidPathInfo: the path, then the rest as {@link #readUnkeyedPathInfo}. */
    public PathInfo readPathInfo(WireReader r) throws IOException {
        StorePath path = readStorePath(r);
        return readUnkeyedPathInfo(r, path);
    }

    public void writePathInfo(WireWriter w, PathInfo info) throws IOException {
        writeStorePath(w, info.path());
        writeUnkeyedPathInfo(w, info);
    }

    /** UnkeyedValidPathInfo: deriver, NAR hash, references, registration time, NAR size; from 1.16 ultimate, signatures, CA. */
    public PathInfo readUnkeyedPathInfo(WireReader r, StorePath path) throws IOException {
        Optional<StorePath> deriver = readOptionalStorePath(r);
        Hash narHash = readNarHash(r);
        SortedSet<StorePath> refs = readStorePaths(r);
        long registrationTime = r.readNum();
        long narSize = r.readNum();
        boolean ultimate = false;
        List<Signature> sigs = List.of();
        Optional<ContentAddress> ca = Optional.empty();
        if (version.atLeast(16)) {
            ultimate = r.readBool();
            sigs = readSignatures(r);
            ca = readOptionalContentAddress(r);
        }
        boolean u = ultimate;
        List<Signature> s = sigs;
        Optional<ContentAddress> c = ca;
        return parsing("path info of '" + path + "'",
                () -> new PathInfo(path, deriver, narHash, narSize, refs, registrationTime, u, s, c));
    }

    public void writeUnkeyedPathInfo(WireWriter w, PathInfo info) throws IOException {
        writeOptionalStorePath(w, info.deriver());
        w.writeString(info.narHash().toBase16());
        writeStorePaths(w, info.references());
        w.writeNum(info.registrationTime());
        w.writeNum(info.narSize());
        if (version.atLeast(16)) {
            w.writeBool(info.ultimate());
            writeSignatures(w, info.signatures());
            writeOptionalContentAddress(w, info.ca());
        }
    }

    // --- derived paths and builds ------------------------------------------------------------

    /**
     * A DerivedPath: from 1.30 {@code path} or {@code drv!out,…} / {@code drv!*}; before, the
     * "path with outputs" form where a bare {@code .drv} means all its outputs.
     */
    public DerivedPath readDerivedPath(WireReader r) throws IOException {
        if (!version.atLeast(30)) {
            return readPathWithOutputs(r);
        }
        String s = r.readString();
        return parsing("derived path '" + s + "'", () -> DerivedPath.parse(storeDir, s));
    }

    public void writeDerivedPath(WireWriter w, DerivedPath p) throws IOException {
        if (version.atLeast(30)) {
            w.writeString(p.render(storeDir));
        } else {
            writePathWithOutputs(w, p);
        }
    }

    public List<DerivedPath> readDerivedPaths(WireReader r) throws IOException {
        int n = r.readCount("a list of derived paths");
        List<DerivedPath> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(readDerivedPath(r));
        }
        return out;
    }

    public void writeDerivedPaths(WireWriter w, Collection<DerivedPath> paths) throws IOException {
        w.writeNum(paths.size());
        for (DerivedPath p : paths) {
            writeDerivedPath(w, p);
        }
    }

    public BuildMode readBuildMode(WireReader r) throws IOException {
        return BuildMode.fromWire(r.readNum());
    }

    public void writeBuildMode(WireWriter w, BuildMode mode) throws IOException {
        w.writeNum(mode.ordinal());
    }

    public BuildResult readBuildResult(WireReader r) throws IOException {
        BuildStatus status = BuildStatus.fromWire(r.readNum());
        String errorMsg = r.readString();
        long timesBuilt = 0;
        boolean nonDet = false;
        long start = 0;
        long stop = 0;
        if (version.atLeast(29)) {
            timesBuilt = r.readNum();
            nonDet = r.readBool();
            start = r.readNum();
            stop = r.readNum();
        }
        Optional<Long> cpuUser = Optional.empty();
        Optional<Long> cpuSystem = Optional.empty();
        if (version.atLeast(37)) {
            cpuUser = readOptionalMicros(r);
            cpuSystem = readOptionalMicros(r);
        }
        SortedMap<String, Realisation> outputs = outputsByPath() || version.atLeast(28) ? readBuiltOutputs(r) : new TreeMap<>();
        long tb = timesBuilt;
        boolean nd = nonDet;
        long st = start;
        long sp = stop;
        Optional<Long> cu = cpuUser;
        Optional<Long> cs = cpuSystem;
        return parsing("build result", () -> new BuildResult(status, errorMsg, tb, nd, st, sp, cu, cs, outputs));
    }

    public void writeBuildResult(WireWriter w, BuildResult res) throws IOException {
        w.writeNum(res.status().code());
        w.writeString(res.errorMsg());
        if (version.atLeast(29)) {
            w.writeNum(res.timesBuilt());
            w.writeBool(res.isNonDeterministic());
            w.writeNum(res.startTime());
            w.writeNum(res.stopTime());
        }
        if (version.atLeast(37)) {
            writeOptionalMicros(w, res.cpuUser());
            writeOptionalMicros(w, res.cpuSystem());
        }
        if (outputsByPath() || version.atLeast(28)) {
            writeBuiltOutputs(w, res.builtOutputs());
        }
    }

    private Optional<Long> readOptionalMicros(WireReader r) throws IOException {
        long tag = r.readNum();
        if (tag == 0) {
            return Optional.empty();
        }
        if (tag != 1) {
            throw new WireFormatException("invalid optional tag " + Long.toUnsignedString(tag));
        }
        return Optional.of(r.readNum());
    }

    private void writeOptionalMicros(WireWriter w, Optional<Long> v) throws IOException {
        if (v.isEmpty()) {
            w.writeNum(0);
        } else {
            w.writeNum(1).writeNum(v.get());
        }
    }

    public KeyedBuildResult readKeyedBuildResult(WireReader r) throws IOException {
        DerivedPath path = readDerivedPath(r);
        return new KeyedBuildResult(path, readBuildResult(r));
    }

    public void writeKeyedBuildResult(WireWriter w, KeyedBuildResult k) throws IOException {
        writeDerivedPath(w, k.path());
        writeBuildResult(w, k.result());
    }

    public List<KeyedBuildResult> readKeyedBuildResults(WireReader r) throws IOException {
        int n = r.readCount("build results");
        List<KeyedBuildResult> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(readKeyedBuildResult(r));
        }
        return out;
    }

    public void writeKeyedBuildResults(WireWriter w, List<KeyedBuildResult> results) throws IOException {
        w.writeNum(results.size());
        for (KeyedBuildResult k : results) {
            writeKeyedBuildResult(w, k);
        }
    }

    // --- handshake, options, GC --------------------------------------------------------------

    /** The daemon's part after the version exchange: its version (1.33+) and its trust in the client (1.35+). */
    public HandshakeInfo readHandshakeInfo(WireReader r) throws IOException {
        Optional<String> daemonVersion = version.atLeast(33) ? Optional.of(r.readString()) : Optional.empty();
        Optional<Boolean> trusted = version.atLeast(35) ? readTrustedFlag(r) : Optional.empty();
        return new HandshakeInfo(daemonVersion, trusted);
    }

    public void writeHandshakeInfo(WireWriter w, HandshakeInfo info) throws IOException {
        if (version.atLeast(33)) {
            w.writeString(info.daemonVersion().orElseThrow());
        }
        if (version.atLeast(35)) {
            writeTrustedFlag(w, info.trusted());
        }
    }

    /** 0: not saying, 1: trusted, 2: not trusted. */
    public Optional<Boolean> readTrustedFlag(WireReader r) throws IOException {
        long v = r.readNum();
        if (v == 0) {
            return Optional.empty();
        }
        if (v == 1 || v == 2) {
            return Optional.of(v == 1);
        }
        throw new WireFormatException("invalid trusted flag " + Long.toUnsignedString(v));
    }

    public void writeTrustedFlag(WireWriter w, Optional<Boolean> trusted) throws IOException {
        w.writeNum(trusted.isEmpty() ? 0 : trusted.get() ? 1 : 2);
    }

    public ClientOptions readClientOptions(WireReader r) throws IOException {
        boolean keepFailed = r.readBool();
        boolean keepGoing = r.readBool();
        boolean tryFallback = r.readBool();
        long verbosity = r.readNum();
        long maxBuildJobs = r.readNum();
        long maxSilentTime = r.readNum();
        long useBuildHook = r.readNum();
        long verboseBuild = r.readNum();
        long logType = r.readNum();
        long printBuildTrace = r.readNum();
        long buildCores = r.readNum();
        boolean useSubstitutes = r.readBool();
        Map<String, String> overrides = version.atLeast(12) ? r.readStringMap() : Map.of();
        return new ClientOptions(keepFailed, keepGoing, tryFallback, verbosity, maxBuildJobs, maxSilentTime, useBuildHook,
                verboseBuild, logType, printBuildTrace, buildCores, useSubstitutes, new TreeMap<>(overrides));
    }

    public void writeClientOptions(WireWriter w, ClientOptions o) throws IOException {
        w.writeBool(o.keepFailed()).writeBool(o.keepGoing()).writeBool(o.tryFallback()).writeNum(o.verbosity())
                .writeNum(o.maxBuildJobs()).writeNum(o.maxSilentTime()).writeNum(o.obsoleteUseBuildHook())
                .writeNum(o.verboseBuild()).writeNum(o.obsoleteLogType()).writeNum(o.obsoletePrintBuildTrace())
                .writeNum(o.buildCores()).writeBool(o.useSubstitutes());
        if (version.atLeast(12)) {
            w.writeStringMap(o.overrides());
        }
    }

    /**
     * CollectGarbage's arguments, then three obsolete numbers. With {@code delete-dead-specific-referrers}
     * the paths come as Nix's {@code GCPaths}: a byte-wide "whole store" flag, or the paths and the
     * delete-referrers flag; before it, a plain set whose emptiness means the whole store (except
     * for DELETE_SPECIFIC, which always names its paths).
     */
    public GcOptions readGcOptions(WireReader r) throws IOException {
        GcAction action = GcAction.fromWire(r.readNum());
        boolean wholeStore;
        SortedSet<StorePath> paths;
        boolean deleteReferrers = false;
        if (deleteDeadSpecificReferrers()) {
            long flag = r.readNum();
            if (flag > 1) {
                throw new WireFormatException("invalid whole-store flag " + Long.toUnsignedString(flag));
            }
            wholeStore = flag == 1;
            paths = wholeStore ? new TreeSet<>() : readStorePaths(r);
            deleteReferrers = !wholeStore && r.readBool();
        } else {
            paths = readStorePaths(r);
            wholeStore = action != GcAction.DELETE_SPECIFIC && paths.isEmpty();
        }
        boolean ignoreLiveness = r.readBool();
        long maxFreed = r.readNum();
        for (int i = 0; i < 3; i++) {
            r.readNum();
        }
        return new GcOptions(action, wholeStore, paths, deleteReferrers, ignoreLiveness, maxFreed);
    }

    public void writeGcOptions(WireWriter w, GcOptions o) throws IOException {
        w.writeNum(o.action().ordinal());
        if (deleteDeadSpecificReferrers()) {
            w.writeNum(o.wholeStore() ? 1 : 0);
            if (!o.wholeStore()) {
                writeStorePaths(w, o.paths());
                w.writeBool(o.deleteReferrers());
            }
        } else {
            writeStorePaths(w, o.paths());
        }
        w.writeBool(o.ignoreLiveness()).writeNum(o.maxFreed()).writeNum(0).writeNum(0).writeNum(0);
    }

    public void writeGcResult(WireWriter w, GcResult res) throws IOException {
        w.writeStrings(res.paths()).writeNum(res.bytesFreed()).writeNum(0);
    }

    public GcResult readGcResult(WireReader r) throws IOException {
        List<String> paths = r.readStrings();
        long freed = r.readNum();
        r.readNum();
        return new GcResult(paths, freed);
    }

    public void writeMissingPaths(WireWriter w, MissingPaths m) throws IOException {
        writeStorePaths(w, m.willBuild());
        writeStorePaths(w, m.willSubstitute());
        writeStorePaths(w, m.unknown());
        w.writeNum(m.downloadSize()).writeNum(m.narSize());
    }

    public MissingPaths readMissingPaths(WireReader r) throws IOException {
        return new MissingPaths(readStorePaths(r), readStorePaths(r), readStorePaths(r), r.readNum(), r.readNum());
    }

    // --- derivations -------------------------------------------------------------------------


}
