package dev.cumulus.model.wire;

import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The serve protocol's types for one negotiated version (2.x, as Nix's {@code ServeProto::Serialise});
 * the types both protocols share are {@link CommonCodec}'s. From 2.8 outputs are named by
 * derivation path, as the worker protocol's {@code realisation-with-path-not-hash} feature names them.
 */
public final class ServeCodec extends CommonCodec {
    /** The oldest serve protocol, Nix 1.x's; every later field is optional on the wire. */
    public static final ProtocolVersion OLDEST = new ProtocolVersion(2, 0);
    /** What this store offers: Nix 2.8 to 2.34 speak 2.7, later Nix 2.8. */
    public static final ProtocolVersion NEWEST = new ProtocolVersion(2, 8);

    private final ProtocolVersion version;

    public ServeCodec(StoreDir storeDir, ProtocolVersion version) {
        super(storeDir);
        if (version.major() != 2) {
            throw new IllegalArgumentException("serve protocol " + version + " is not 2.x");
        }
        this.version = version;
    }

    public ProtocolVersion version() {
        return version;
    }

    /** Whether this is 2.{@code minor} or newer. */
    public boolean atLeast(int minor) {
        return version.compareTo(new ProtocolVersion(2, minor)) >= 0;
    }

    @Override
    protected boolean outputsByPath() {
        return atLeast(8);
    }

    // --- path infos --------------------------------------------------------------------------

    /**
     * UnkeyedValidPathInfo as QueryPathInfos answers: deriver, references, download size (read and
     * dropped: Nix writes the NAR size), NAR size; from 2.4 the NAR hash, content address and
     * signatures. Before 2.4 no hash is sent: the info read has a zero hash, as Nix's has.
     */
    public PathInfo readUnkeyedPathInfo(WireReader r, StorePath path) throws IOException {
        Optional<StorePath> deriver = readOptionalStorePath(r);
        SortedSet<StorePath> refs = readStorePaths(r);
        r.readNum(); // download size
        long narSize = r.readNum();
        Hash narHash = new Hash(HashAlgorithm.SHA256, new byte[32]);
        Optional<ContentAddress> ca = Optional.empty();
        List<Signature> sigs = List.of();
        if (atLeast(4)) {
            String h = r.readString();
            if (!h.isEmpty()) {
                narHash = parsing("NAR hash '" + h + "'", () -> Hash.parseAny(h));
            }
            ca = readOptionalContentAddress(r);
            sigs = readSignatures(r);
        }
        Hash hash = narHash;
        Optional<ContentAddress> c = ca;
        List<Signature> s = sigs;
        return parsing("path info of '" + path + "'", () -> new PathInfo(path, deriver, hash, narSize, refs, 0, false, s, c));
    }

    public void writeUnkeyedPathInfo(WireWriter w, PathInfo info) throws IOException {
        writeOptionalStorePath(w, info.deriver());
        writeStorePaths(w, info.references());
        w.writeNum(info.narSize()).writeNum(info.narSize());
        if (atLeast(4)) {
            w.writeString(info.narHash().toString(HashFormat.NIX32));
            writeOptionalContentAddress(w, info.ca());
            writeSignatures(w, info.signatures());
        }
    }

    /**
     * AddToStoreNar's path info (2.5+, the same fields in every version): path, deriver, NAR hash
     * (any form, bare means sha256), references, registration time, NAR size, ultimate, signatures,
     * content address.
     */
    public PathInfo readAddedPathInfo(WireReader r) throws IOException {
        StorePath path = readStorePath(r);
        Optional<StorePath> deriver = readOptionalStorePath(r);
        Hash narHash = readNarHash(r);
        SortedSet<StorePath> refs = readStorePaths(r);
        long registrationTime = r.readNum();
        long narSize = r.readNum();
        boolean ultimate = r.readBool();
        List<Signature> sigs = readSignatures(r);
        Optional<ContentAddress> ca = readOptionalContentAddress(r);
        return parsing("path info of '" + path + "'",
                () -> new PathInfo(path, deriver, narHash, narSize, refs, registrationTime, ultimate, sigs, ca));
    }

    public void writeAddedPathInfo(WireWriter w, PathInfo info) throws IOException {
        writeStorePath(w, info.path());
        writeOptionalStorePath(w, info.deriver());
        w.writeString(info.narHash().toBase16());
        writeStorePaths(w, info.references());
        w.writeNum(info.registrationTime()).writeNum(info.narSize()).writeBool(info.ultimate());
        writeSignatures(w, info.signatures());
        writeOptionalContentAddress(w, info.ca());
    }

    // --- builds ------------------------------------------------------------------------------

    public ServeBuildOptions readBuildOptions(WireReader r) throws IOException {
        long maxSilentTime = r.readNum();
        long buildTimeout = r.readNum();
        long maxLogSize = atLeast(2) ? r.readNum() : 0;
        long nrRepeats = 0;
        boolean enforceDeterminism = false;
        if (atLeast(3)) {
            nrRepeats = r.readNum();
            enforceDeterminism = r.readNum() != 0;
        }
        boolean keepFailed = atLeast(7) && r.readNum() != 0;
        return new ServeBuildOptions(maxSilentTime, buildTimeout, maxLogSize, nrRepeats, enforceDeterminism, keepFailed);
    }

    public void writeBuildOptions(WireWriter w, ServeBuildOptions o) throws IOException {
        w.writeNum(o.maxSilentTime()).writeNum(o.buildTimeout());
        if (atLeast(2)) {
            w.writeNum(o.maxLogSize());
        }
        if (atLeast(3)) {
            w.writeNum(o.nrRepeats()).writeNum(o.enforceDeterminism() ? 1 : 0);
        }
        if (atLeast(7)) {
            w.writeNum(o.keepFailed() ? 1 : 0);
        }
    }

    /**
     * BuildDerivation's answer: status and message; from 2.3 times built, non-determinism, start and
     * stop; from 2.6 the built outputs (JSON realisations by id, from 2.8 out paths by name).
     */
    public BuildResult readBuildResult(WireReader r) throws IOException {
        BuildStatus status = BuildStatus.fromWire(r.readNum());
        String errorMsg = r.readString();
        long timesBuilt = 0;
        boolean nonDet = false;
        long start = 0;
        long stop = 0;
        if (atLeast(3)) {
            timesBuilt = r.readNum();
            nonDet = r.readBool();
            start = r.readNum();
            stop = r.readNum();
        }
        SortedMap<String, Realisation> outputs = atLeast(6) ? readBuiltOutputs(r) : new TreeMap<>();
        long tb = timesBuilt;
        boolean nd = nonDet;
        long st = start;
        long sp = stop;
        return parsing("build result", () -> new BuildResult(status, errorMsg, tb, nd, st, sp, Optional.empty(), Optional.empty(),
                outputs));
    }

    public void writeBuildResult(WireWriter w, BuildResult res) throws IOException {
        w.writeNum(res.status().code());
        w.writeString(res.errorMsg());
        if (atLeast(3)) {
            w.writeNum(res.timesBuilt()).writeBool(res.isNonDeterministic()).writeNum(res.startTime()).writeNum(res.stopTime());
        }
        if (atLeast(6)) {
            writeBuiltOutputs(w, res.builtOutputs());
        }
    }
}
