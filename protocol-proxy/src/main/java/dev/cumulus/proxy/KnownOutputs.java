package dev.cumulus.proxy;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.derived.SingleDerivedPath;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.StoreDerivations;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which outputs of a derivation the store already has, without building: an output's path comes
 * from the derivation-outputs map, or, for a content-addressed output whose path is only known once
 * built, from its realisation (looked up by the derivation's hash modulo, which needs the
 * derivation and its inputs: they are read from the store).
 */
final class KnownOutputs {
    private final StoreDir storeDir;
    private final Backends backends;

    KnownOutputs(StoreDir storeDir, Backends backends) {
        this.storeDir = storeDir;
        this.backends = backends;
    }

    /**
     * The realisations of the wanted outputs when every one of them is valid here; empty otherwise.
     * The derivation is hashed (its inputs read) when an output needs its realisation looked up, or
     * when {@code hashIds}: clients before 1.39 key built outputs by {@code sha256:<hash>!out} only.
     */
    Optional<SortedMap<String, Realisation>> valid(DerivedPath.Built target, boolean hashIds) {
        if (!(target.drvPath() instanceof SingleDerivedPath.Opaque drv) || backends.pathInfo().queryPathInfo(drv.path()).isEmpty()) {
            return Optional.empty();
        }
        Map<String, Optional<StorePath>> outputs = backends.pathInfo().queryDerivationOutputMap(drv.path());
        Set<String> wanted = switch (target.outputs()) {
            case OutputsSpec.All all -> outputs.keySet();
            case OutputsSpec.Names names -> names.names();
        };
        SortedMap<String, Hash> hashes = null;
        SortedMap<String, Realisation> found = new TreeMap<>();
        for (String name : wanted) {
            if (!outputs.containsKey(name)) {
                return Optional.empty();
            }
            Optional<StorePath> path = outputs.get(name);
            if (path.isPresent() && !hashIds) {
                found.put(name, Realisation.of(new DrvOutput.ByPath(drv.path(), name), path.get()));
            } else if (path.isPresent()) {
                if (hashes == null) {
                    hashes = outputHashes(drv.path());
                }
                found.put(name, Realisation.of(new DrvOutput.ByHash(hashes.get(name), name), path.get()));
            } else {
                if (hashes == null) {
                    hashes = outputHashes(drv.path());
                }
                DrvOutput.ByHash id = new DrvOutput.ByHash(hashes.get(name), name);
                Optional<Realisation> r = backends.realisations().query(id);
                if (r.isEmpty()) {
                    return Optional.empty();
                }
                found.put(name, r.get());
            }
        }
        TreeSet<StorePath> paths = new TreeSet<>();
        found.values().forEach(r -> paths.add(r.outPath()));
        return backends.pathInfo().queryValidPaths(paths).size() == paths.size() ? Optional.of(found) : Optional.empty();
    }

    /** Each output's hash modulo, as realisation ids use them (Nix's staticOutputHashes). */
    private SortedMap<String, Hash> outputHashes(StorePath drvPath) {
        DerivationHasher hasher = new DerivationHasher(storeDir, this::read);
        return hasher.hashModulo(read(drvPath), true).outputHashes();
    }

    private Derivation read(StorePath drvPath) {
        return new StoreDerivations(storeDir, backends.nars()).read(drvPath);
    }
}
