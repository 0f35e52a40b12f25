package dev.cumulus.functions;

import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The read side of the store: what Nix's queries ask of it, answered from the tables. */
public final class PathQueries {
    private static final Logger LOG = Logger.getLogger(PathQueries.class.getName());
    private final StoreTables tables;
    private final StoreDir storeDir;
    private final StoredDerivations derivations;

    public PathQueries(StoreTables tables, StoreDir storeDir, StoredDerivations derivations) {
        this.tables = tables;
        this.storeDir = storeDir;
        this.derivations = derivations;
    }

    public Optional<StoredPath> pathInfo(StorePath path) {
        return tables.paths().get(path);
    }

    public boolean isValid(StorePath path) {
        return pathInfo(path).isPresent();
    }

    /** The valid paths among {@code paths}, in the order given. */
    public List<StorePath> validPaths(Collection<StorePath> paths) {
        Set<StorePath> valid = new HashSet<>(tables.paths().valid(paths));
        return paths.stream().distinct().filter(valid::contains).toList();
    }

    public Optional<StorePath> pathFromHashPart(String hashPart) {
        StorePath.checkHashPart(hashPart);
        return tables.paths().get(hashPart).map(s -> s.info().path());
    }

    /** The valid paths that reference {@code path}. */
    public List<StorePath> referrers(StorePath path) {
        return tables.paths().valid(tables.referrers().referrers(path)).stream().sorted().toList();
    }

    /** The valid derivations that have {@code path} as an output (input-addressed and fixed outputs). */
    public List<StorePath> validDerivers(StorePath path) {
        return tables.paths().valid(tables.derivationOutputs().derivers(path)).stream().sorted().toList();
    }

    /**
     * The outputs of a valid derivation, as Nix's daemon answers QueryDerivationOutputMap: fixed
     * paths from the derivation; a floating one from its realisation, under {@code <drvPath>^<output>}
     * (builds here record both ids) or else under the derivation's hash modulo ({@code sha256:…!out},
     * the id clients up to Nix 2.34 register when they copy a realisation); empty where neither is known.
     */
    public Map<String, Optional<StorePath>> derivationOutputMap(StorePath drv) {
        if (!isValid(drv)) {
            throw new StoreException("path '" + storeDir.print(drv) + "' is not valid");
        }
        Map<String, Optional<StorePath>> out = new LinkedHashMap<>();
        Map<String, Hash> hashes = null;
        for (Map.Entry<String, Optional<StorePath>> e : tables.derivationOutputs().outputs(drv).entrySet()) {
            String name = e.getKey();
            Optional<StorePath> path = e.getValue().or(() -> tables.realisations()
                    .get(new DrvOutput.ByPath(drv, name).render(storeDir)).map(Realisation::outPath));
            if (path.isEmpty()) {
                if (hashes == null) {
                    hashes = hashesOrNone(drv);
                }
                Hash hash = hashes.get(name);
                path = hash == null ? Optional.empty()
                        : tables.realisations().get(new DrvOutput.ByHash(hash, name).render()).map(Realisation::outPath);
            }
            out.put(name, path);
        }
        return out;
    }

    /** The derivation's output hashes; none when it cannot be read (registered without its NAR). */
    private Map<String, Hash> hashesOrNone(StorePath drv) {
        try {
            return derivations.outputHashes(drv);
        } catch (StoreException e) {
            LOG.log(Level.FINE, "cannot hash " + drv.baseName() + ": " + e.getMessage());
            return Map.of();
        }
    }

    public PathInfoTable.Page allValidPaths(Optional<String> after, int limit) {
        if (limit < 1 || limit > 10_000) {
            throw new StoreException("a page holds 1 to 10000 paths, not " + limit);
        }
        after.ifPresent(StorePath::checkHashPart);
        return tables.paths().scan(after, limit);
    }

    public Optional<Realisation> realisation(String id) {
        DrvOutput.parse(storeDir, id); // refuses a malformed id with a clear message
        return tables.realisations().get(id);
    }

    static List<StorePath> parseAll(StoreDir storeDir, Collection<String> paths) {
        List<StorePath> out = new ArrayList<>();
        paths.forEach(p -> out.add(storeDir.parse(p)));
        return out;
    }
}
