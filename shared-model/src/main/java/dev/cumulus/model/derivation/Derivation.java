package dev.cumulus.model.derivation;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A store derivation: what to run to build some outputs. Its name is not in the ATerm text; it
 * comes from the {@code .drv} path ({@code <hash>-<name>.drv}).
 */
public record Derivation(
        String name,
        SortedMap<String, DerivationOutput> outputs,
        SortedMap<StorePath, DerivationInput> inputDrvs,
        SortedSet<StorePath> inputSrcs,
        String platform,
        String builder,
        List<String> args,
        SortedMap<String, String> env) {

    public Derivation {
        StorePath.checkName(name);
        outputs = Collections.unmodifiableSortedMap(new TreeMap<>(outputs));
        inputDrvs = Collections.unmodifiableSortedMap(new TreeMap<>(inputDrvs));
        inputSrcs = Collections.unmodifiableSortedSet(new TreeSet<>(inputSrcs));
        args = List.copyOf(args);
        env = Collections.unmodifiableSortedMap(new TreeMap<>(env));
    }

    /** The derivation's name from its {@code .drv} path. */
    public static String nameFromDrvPath(StorePath drvPath) {
        if (!drvPath.isDerivation()) {
            throw new IllegalArgumentException("'" + drvPath + "' is not a derivation (its name must end in .drv)");
        }
        return drvPath.name().substring(0, drvPath.name().length() - 4);
    }

    /** True if every output is fixed (a fixed-output derivation, allowed to use the network). */
    public boolean isFixedOutput() {
        return !outputs.isEmpty() && outputs.values().stream().allMatch(o -> o instanceof DerivationOutput.CaFixed);
    }

    public boolean hasFloatingOutputs() {
        return outputs.values().stream().anyMatch(o -> o instanceof DerivationOutput.CaFloating);
    }

    public boolean isImpure() {
        return outputs.values().stream().anyMatch(o -> o instanceof DerivationOutput.Impure);
    }

    /** The path of output {@code outputName} where it is known before building. */
    public Optional<StorePath> outputPath(StoreDir storeDir, String outputName) {
        DerivationOutput o = outputs.get(outputName);
        if (o == null) {
            throw new IllegalArgumentException("derivation '" + name + "' has no output '" + outputName + "'");
        }
        return switch (o) {
            case DerivationOutput.InputAddressed ia -> Optional.of(ia.path());
            case DerivationOutput.CaFixed f -> Optional.of(storeDir.makeFixedOutputPathFromCA(
                    StoreDir.outputPathName(name, outputName), f.ca(), List.of(), false));
            default -> Optional.empty();
        };
    }

    /** Every output's path where known before building. */
    public SortedMap<String, Optional<StorePath>> outputPaths(StoreDir storeDir) {
        TreeMap<String, Optional<StorePath>> m = new TreeMap<>();
        for (String o : outputs.keySet()) {
            m.put(o, outputPath(storeDir, o));
        }
        return m;
    }

    /** The ATerm text as written to the store. */
    public String toAterm(StoreDir storeDir) {
        return ATerm.print(storeDir, this, false, null);
    }

    /** The store path this derivation is written to: a text path over the ATerm, referring to its inputs. */
    public StorePath drvPath(StoreDir storeDir) {
        TreeSet<StorePath> refs = new TreeSet<>(inputSrcs);
        refs.addAll(inputDrvs.keySet());
        return storeDir.makeTextPath(name + ".drv", Hash.sha256(toAterm(storeDir)), refs);
    }

    /**
     * An output's three fields (path, hash algorithm with its method prefix, hash) as ATerm and
     * the worker protocol's BasicDerivation write them.
     */
    public List<String> outputFields(StoreDir storeDir, String outputName) {
        DerivationOutput o = outputs.get(outputName);
        if (o == null) {
            throw new IllegalArgumentException("derivation '" + name + "' has no output '" + outputName + "'");
        }
        return List.of(ATerm.outputFields(storeDir, this, outputName, o));
    }

    /** The inverse of {@link #outputFields}; the path of a fixed output is checked for form only. */
    public static DerivationOutput outputFromFields(StoreDir storeDir, String outputName, String path, String hashAlgo, String hash) {
        return ATerm.outputFromFields(storeDir, outputName, path, hashAlgo, hash);
    }

    public static Derivation parse(StoreDir storeDir, String name, String aterm) {
        return ATerm.parse(storeDir, name, aterm);
    }

    public static Derivation parse(StoreDir storeDir, String name, byte[] aterm) {
        return ATerm.parse(storeDir, name, ATerm.decode(aterm));
    }

    /** The placeholder Nix puts in the environment for an output whose path is not known yet. */
    public static String hashPlaceholder(String outputName) {
        return "/" + Hash.sha256("nix-output:" + outputName).toNix32();
    }
}
