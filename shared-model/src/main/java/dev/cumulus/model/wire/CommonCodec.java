package dev.cumulus.model.wire;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.derived.SingleDerivedPath;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The types both Nix protocols encode alike, whatever their version (Nix's {@code CommonProto}):
 * store paths, content addresses, signatures, derivation output ids and realisations in their
 * original forms, and the BasicDerivation a remote build sends. {@link WorkerCodec} and
 * {@link ServeCodec} extend it and override what a version or feature changes. Bad input always
 * surfaces as {@link WireFormatException}, never as a model exception.
 */
public class CommonCodec {
    protected final StoreDir storeDir;

    public CommonCodec(StoreDir storeDir) {
        this.storeDir = storeDir;
    }

    public StoreDir storeDir() {
        return storeDir;
    }

    /** Runs a model parser, turning its complaint into a wire error. */
    public static <T> T parsing(String what, Supplier<T> parser) throws WireFormatException {
        try {
            return parser.get();
        } catch (RuntimeException e) {
            throw new WireFormatException("invalid " + what + ": " + e.getMessage(), e);
        }
    }

    // --- store paths -------------------------------------------------------------------------

    public StorePath readStorePath(WireReader r) throws IOException {
        String s = r.readString();
        return parsing("store path '" + s + "'", () -> storeDir.parse(s));
    }

    public void writeStorePath(WireWriter w, StorePath p) throws IOException {
        w.writeString(storeDir.print(p));
    }

    /** An optional store path: the empty string for none. */
    public Optional<StorePath> readOptionalStorePath(WireReader r) throws IOException {
        String s = r.readString();
        return s.isEmpty() ? Optional.empty() : Optional.of(parsing("store path '" + s + "'", () -> storeDir.parse(s)));
    }

    public void writeOptionalStorePath(WireWriter w, Optional<StorePath> p) throws IOException {
        w.writeString(p.map(storeDir::print).orElse(""));
    }

    public SortedSet<StorePath> readStorePaths(WireReader r) throws IOException {
        int n = r.readCount("a set of store paths");
        SortedSet<StorePath> out = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            out.add(readStorePath(r));
        }
        return out;
    }

    public void writeStorePaths(WireWriter w, Collection<StorePath> paths) throws IOException {
        w.writeNum(paths.size());
        for (StorePath p : paths) {
            writeStorePath(w, p);
        }
    }

    /**
     * A path as Nix's {@code StorePathWithOutputs} prints it (the worker protocol before 1.30, the
     * serve protocol's BuildPaths): {@code path}, {@code drv!out1,out2}, or a bare {@code .drv} for
     * all its outputs.
     */
    public DerivedPath readPathWithOutputs(WireReader r) throws IOException {
        String s = r.readString();
        return parsing("path '" + s + "'", () -> {
            int bang = s.indexOf('!');
            if (bang < 0) {
                StorePath p = storeDir.parse(s);
                return p.isDerivation() ? DerivedPath.built(p, new OutputsSpec.All()) : new DerivedPath.Opaque(p);
            }
            return DerivedPath.built(storeDir.parse(s.substring(0, bang)), OutputsSpec.parse(s.substring(bang + 1)));
        });
    }

    public void writePathWithOutputs(WireWriter w, DerivedPath p) throws IOException {
        switch (p) {
            case DerivedPath.Opaque o -> {
                if (o.path().isDerivation()) {
                    throw new IllegalArgumentException("this protocol cannot request the derivation file itself: "
                            + storeDir.print(o.path()));
                }
                w.writeString(storeDir.print(o.path()));
            }
            case DerivedPath.Built b -> {
                if (!(b.drvPath() instanceof SingleDerivedPath.Opaque drv)) {
                    throw new IllegalArgumentException("this protocol cannot request outputs of a derivation that is itself built");
                }
                String base = storeDir.print(drv.path());
                w.writeString(b.outputs() instanceof OutputsSpec.All ? base : base + "!" + b.outputs().render());
            }
        }
    }

    public List<DerivedPath> readPathsWithOutputs(WireReader r) throws IOException {
        int n = r.readCount("a list of paths");
        List<DerivedPath> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(readPathWithOutputs(r));
        }
        return out;
    }

    public void writePathsWithOutputs(WireWriter w, Collection<DerivedPath> paths) throws IOException {
        w.writeNum(paths.size());
        for (DerivedPath p : paths) {
            writePathWithOutputs(w, p);
        }
    }

    // --- content addresses and signatures ------------------------------------------------------

    public ContentAddress readContentAddress(WireReader r) throws IOException {
        String s = r.readString();
        return parsing("content address '" + s + "'", () -> ContentAddress.parse(s));
    }

    public void writeContentAddress(WireWriter w, ContentAddress ca) throws IOException {
        w.writeString(ca.render());
    }

    public Optional<ContentAddress> readOptionalContentAddress(WireReader r) throws IOException {
        String s = r.readString();
        return s.isEmpty() ? Optional.empty() : Optional.of(parsing("content address '" + s + "'", () -> ContentAddress.parse(s)));
    }

    public void writeOptionalContentAddress(WireWriter w, Optional<ContentAddress> ca) throws IOException {
        w.writeString(ca.map(ContentAddress::render).orElse(""));
    }

    /** A NAR hash as path infos carry it: bare base16 from Nix, but any form with an algorithm is accepted. */
    public Hash readNarHash(WireReader r) throws IOException {
        String s = r.readString();
        return parsing("NAR hash '" + s + "'", () -> s.contains(":") || s.contains("-")
                ? Hash.parseAny(s) : Hash.parseDigest(HashAlgorithm.SHA256, s));
    }

    public List<Signature> readSignatures(WireReader r) throws IOException {
        List<Signature> out = new ArrayList<>();
        for (String s : r.readStringSet()) {
            out.add(parsing("signature '" + s + "'", () -> Signature.parse(s)));
        }
        return out;
    }

    public void writeSignatures(WireWriter w, Collection<Signature> sigs) throws IOException {
        w.writeStrings(new TreeSet<>(sigs.stream().map(Signature::render).toList()));
    }

    // --- realisations ------------------------------------------------------------------------

    /**
     * Whether outputs are named by derivation path and output name (Nix 2.35: the worker feature
     * {@code realisation-with-path-not-hash}, serve 2.8) rather than by {@code sha256:<hex>!out}
     * ids with realisations as JSON.
     */
    protected boolean outputsByPath() {
        return false;
    }

    /** A DrvOutput: {@code sha256:<hex>!out}, or when outputs are named by path the derivation path and output name. */
    public DrvOutput readDrvOutput(WireReader r) throws IOException {
        if (outputsByPath()) {
            StorePath drvPath = readStorePath(r);
            String name = r.readString();
            return parsing("derivation output", () -> new DrvOutput.ByPath(drvPath, name));
        }
        String s = r.readString();
        return parsing("derivation output id '" + s + "'", () -> DrvOutput.ByHash.parse(s));
    }

    public void writeDrvOutput(WireWriter w, DrvOutput id) throws IOException {
        if (outputsByPath()) {
            if (!(id instanceof DrvOutput.ByPath p)) {
                throw new IllegalArgumentException("this connection identifies outputs by derivation path, not " + id);
            }
            writeStorePath(w, p.drvPath());
            w.writeString(p.outputName());
        } else {
            w.writeString(drvOutputString(id));
        }
    }

    /** A realisation: its JSON text, or when outputs are named by path its id, out path and signatures. */
    public Realisation readRealisation(WireReader r) throws IOException {
        if (outputsByPath()) {
            DrvOutput id = readDrvOutput(r);
            return readUnkeyedRealisation(r, id);
        }
        String json = r.readString();
        return parsing("realisation", () -> Realisation.fromJson(json));
    }

    public void writeRealisation(WireWriter w, Realisation real) throws IOException {
        if (outputsByPath()) {
            writeDrvOutput(w, real.id());
            writeUnkeyedRealisation(w, real);
        } else {
            w.writeString(real.toJsonString());
        }
    }

    /** A realisation without its id (out path and signatures), as outputs named by path carry it; {@code id} is the caller's. */
    public Realisation readUnkeyedRealisation(WireReader r, DrvOutput id) throws IOException {
        StorePath outPath = readStorePath(r);
        List<Signature> sigs = readSignatures(r);
        return new Realisation(id, outPath, sigs, new TreeMap<>());
    }

    public void writeUnkeyedRealisation(WireWriter w, Realisation real) throws IOException {
        writeStorePath(w, real.outPath());
        writeSignatures(w, real.signatures());
    }

    /**
     * A build result's outputs: name to realisation, as JSON keyed by {@code sha256:<hex>!out} ids,
     * or when outputs are named by path, name to out path and signatures. The latter carry no id:
     * this reader gives them a zero hash (Nix's own reader keeps nothing better either).
     */
    public SortedMap<String, Realisation> readBuiltOutputs(WireReader r) throws IOException {
        SortedMap<String, Realisation> outputs = new TreeMap<>();
        int n = r.readCount("built outputs");
        for (int i = 0; i < n; i++) {
            if (outputsByPath()) {
                String name = r.readString();
                DrvOutput id = parsing("output name '" + name + "'",
                        () -> new DrvOutput.ByHash(new Hash(HashAlgorithm.SHA256, new byte[32]), name));
                outputs.put(name, readUnkeyedRealisation(r, id));
            } else {
                String key = r.readString();
                String json = r.readString();
                DrvOutput.ByHash id = parsing("derivation output id '" + key + "'", () -> DrvOutput.ByHash.parse(key));
                Realisation real = parsing("realisation", () -> Realisation.fromJson(json));
                outputs.put(id.outputName(), real);
            }
        }
        return outputs;
    }

    public void writeBuiltOutputs(WireWriter w, Map<String, Realisation> outputs) throws IOException {
        if (outputsByPath()) {
            w.writeNum(outputs.size());
            for (Map.Entry<String, Realisation> e : outputs.entrySet()) {
                w.writeString(e.getKey());
                writeUnkeyedRealisation(w, e.getValue());
            }
        } else {
            Map<String, String> byId = new TreeMap<>();
            for (Realisation real : outputs.values()) {
                byId.put(drvOutputString(real.id()), real.toJsonString());
            }
            w.writeStringMap(byId);
        }
    }

    protected String drvOutputString(DrvOutput id) {
        return switch (id) {
            case DrvOutput.ByHash h -> h.render();
            case DrvOutput.ByPath p -> p.render(storeDir);
        };
    }

    // --- derivations -------------------------------------------------------------------------

    /**
     * A BasicDerivation as BuildDerivation sends it: outputs as (name, path, hash algorithm, hash),
     * input sources, platform, builder, args and environment; no input derivations. Its name is
     * {@code drvPath}'s, which both protocols send before it.
     */
    public Derivation readBasicDerivation(WireReader r, StorePath drvPath) throws IOException {
        String name = parsing("derivation path", () -> Derivation.nameFromDrvPath(drvPath));
        int nOutputs = r.readCount("derivation outputs");
        SortedMap<String, DerivationOutput> outputs = new TreeMap<>();
        for (int i = 0; i < nOutputs; i++) {
            String outName = r.readString();
            String path = r.readString();
            String hashAlgo = r.readString();
            String hash = r.readString();
            outputs.put(outName, parsing("derivation output '" + outName + "'",
                    () -> Derivation.outputFromFields(storeDir, outName, path, hashAlgo, hash)));
        }
        SortedSet<StorePath> inputSrcs = readStorePaths(r);
        String platform = r.readString();
        String builder = r.readString();
        List<String> args = r.readStrings();
        int nEnv = r.readCount("derivation environment");
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < nEnv; i++) {
            String k = r.readString();
            env.put(k, r.readString());
        }
        return parsing("derivation '" + name + "'", () -> new Derivation(name, outputs, new TreeMap<>(), inputSrcs, platform,
                builder, args, new TreeMap<>(env)));
    }

    public void writeBasicDerivation(WireWriter w, Derivation drv) throws IOException {
        w.writeNum(drv.outputs().size());
        for (String outName : drv.outputs().keySet()) {
            w.writeString(outName);
            for (String field : drv.outputFields(storeDir, outName)) {
                w.writeString(field);
            }
        }
        writeStorePaths(w, drv.inputSrcs());
        w.writeString(drv.platform());
        w.writeString(drv.builder());
        w.writeStrings(drv.args());
        w.writeStringMap(drv.env());
    }
}
