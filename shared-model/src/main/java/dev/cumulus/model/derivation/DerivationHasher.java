package dev.cumulus.model.derivation;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Nix's {@code hashDerivationModulo}: a derivation's hash with each input derivation replaced by
 * its own hash modulo, and fixed-output derivations replaced by a hash of their fixed output
 * alone. So changing how a fixed output is fetched changes nothing downstream. Input-addressed
 * output paths are made from this hash. Results are memoised per input derivation.
 */
public final class DerivationHasher {
    /** Whether the hash is final, or deferred because some output or input is floating content-addressed. */
    public enum Kind { REGULAR, DEFERRED }

    /** Each output's hash, and the kind. */
    public record DrvHash(SortedMap<String, Hash> outputHashes, Kind kind) {}

    private final StoreDir storeDir;
    private final Function<StorePath, Derivation> loader;
    private final Map<StorePath, DrvHash> memo = new HashMap<>();

    /** @param loader reads an input derivation from the store */
    public DerivationHasher(StoreDir storeDir, Function<StorePath, Derivation> loader) {
        this.storeDir = storeDir;
        this.loader = loader;
    }

    public DrvHash hashModulo(Derivation drv, boolean maskOutputs) {
        if (drv.isFixedOutput()) {
            TreeMap<String, Hash> hashes = new TreeMap<>();
            for (var e : drv.outputs().entrySet()) {
                var fixed = (DerivationOutput.CaFixed) e.getValue();
                StorePath path = drv.outputPath(storeDir, e.getKey()).orElseThrow();
                hashes.put(e.getKey(), Hash.sha256("fixed:out:" + fixed.ca().methodAlgo() + ":"
                        + fixed.ca().hash().toBase16() + ":" + storeDir.print(path)));
            }
            return new DrvHash(hashes, Kind.REGULAR);
        }
        Kind kind = drv.outputs().values().stream().anyMatch(
                o -> o instanceof DerivationOutput.CaFloating || o instanceof DerivationOutput.Impure)
                ? Kind.DEFERRED : Kind.REGULAR;
        TreeMap<String, DerivationInput> inputsByHash = new TreeMap<>();
        for (var e : drv.inputDrvs().entrySet()) {
            DrvHash input = hashOf(e.getKey());
            if (input.kind() == Kind.DEFERRED) {
                kind = Kind.DEFERRED;
            }
            for (String output : e.getValue().outputs()) {
                Hash h = input.outputHashes().get(output);
                if (h == null) {
                    throw new IllegalArgumentException("derivation '" + e.getKey() + "' has no output '" + output + "'");
                }
                inputsByHash.merge(h.toBase16(), DerivationInput.of(java.util.List.of(output)), DerivationInput::merge);
            }
        }
        Hash hash = Hash.sha256(ATerm.print(storeDir, drv, maskOutputs, inputsByHash));
        TreeMap<String, Hash> hashes = new TreeMap<>();
        for (String o : drv.outputs().keySet()) {
            hashes.put(o, hash);
        }
        return new DrvHash(hashes, kind);
    }

    private DrvHash hashOf(StorePath drvPath) {
        DrvHash cached = memo.get(drvPath);
        if (cached == null) {
            cached = hashModulo(loader.apply(drvPath), false);
            memo.put(drvPath, cached);
        }
        return cached;
    }

    /**
     * The output paths of an input-addressed derivation, computed as Nix's {@code derivation}
     * primitive does: from the hash modulo with the outputs masked.
     */
    public SortedMap<String, StorePath> inputAddressedOutputPaths(Derivation drv) {
        DrvHash h = hashModulo(drv, true);
        if (h.kind() == Kind.DEFERRED) {
            throw new IllegalArgumentException("derivation '" + drv.name() + "' depends on floating content-addressed"
                    + " outputs: its output paths are deferred until they are built");
        }
        TreeMap<String, StorePath> paths = new TreeMap<>();
        for (var e : h.outputHashes().entrySet()) {
            paths.put(e.getKey(), storeDir.makeOutputPath(e.getKey(), e.getValue(), drv.name()));
        }
        return paths;
    }

    /**
     * Fills in a derivation's deferred outputs and their environment variables, as
     * {@code derivation} does after evaluation: the result is what is written to the store.
     */
    public Derivation fillInOutputPaths(Derivation drv) {
        TreeMap<String, DerivationOutput> outputs = new TreeMap<>(drv.outputs());
        TreeMap<String, String> env = new TreeMap<>(drv.env());
        for (String o : outputs.keySet()) {
            if (outputs.get(o) instanceof DerivationOutput.Deferred) {
                env.put(o, "");
            }
        }
        Derivation masked = new Derivation(drv.name(), outputs, drv.inputDrvs(), drv.inputSrcs(), drv.platform(),
                drv.builder(), drv.args(), env);
        DrvHash h = hashModulo(masked, true);
        if (h.kind() == Kind.DEFERRED) {
            return drv;
        }
        for (var e : drv.outputs().entrySet()) {
            if (e.getValue() instanceof DerivationOutput.Deferred) {
                StorePath p = storeDir.makeOutputPath(e.getKey(), h.outputHashes().get(e.getKey()), drv.name());
                outputs.put(e.getKey(), new DerivationOutput.InputAddressed(p));
                env.put(e.getKey(), storeDir.print(p));
            }
        }
        return new Derivation(drv.name(), outputs, drv.inputDrvs(), drv.inputSrcs(), drv.platform(), drv.builder(),
                drv.args(), env);
    }
}
