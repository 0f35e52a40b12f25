package dev.cumulus.proxy.backend;

import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A {@link PathInfoService} with a cache of valid paths' infos in front: {@code nix path-info -r}
 * and a copy's validity checks ask one question per path, and each answer from the store costs a
 * function call and a table read. A path's info changes only by gaining signatures (through this
 * service, which forgets the entry) or by the path being collected, which the {@link FencedCache}
 * sees coming: no cached info is served once a collection may delete (see {@link DeletionFence}).
 * Only valid paths are cached: a path that was invalid a moment ago may have been added since.
 */
public final class CachedPathInfoService implements PathInfoService {
    private final PathInfoService store;
    private final FencedCache<StorePath, PathInfo> entries;

    public CachedPathInfoService(PathInfoService store, FencedCache<StorePath, PathInfo> entries) {
        this.store = store;
        this.entries = entries;
    }

    @Override
    public Optional<PathInfo> queryPathInfo(StorePath path) {
        Optional<PathInfo> cached = entries.get(path);
        if (cached.isPresent()) {
            return cached;
        }
        long generation = entries.generation();
        Optional<PathInfo> info = store.queryPathInfo(path);
        info.ifPresent(i -> entries.put(path, i, generation));
        return info;
    }

    @Override
    public SortedSet<StorePath> queryValidPaths(Set<StorePath> paths) {
        SortedSet<StorePath> valid = new TreeSet<>();
        Set<StorePath> unknown = new HashSet<>();
        for (StorePath p : paths) {
            (entries.get(p).isPresent() ? valid : unknown).add(p);
        }
        if (!unknown.isEmpty()) {
            valid.addAll(store.queryValidPaths(unknown));
        }
        return valid;
    }

    @Override
    public void addSignatures(StorePath path, List<Signature> signatures) {
        store.addSignatures(path, signatures);
        entries.remove(path); // after, so a query racing the change cannot leave the old info behind
    }

    /**
     * Learns a valid path's info as the store holds it (a registration's answer), saving the read.
     * It is kept under the generation of now, not of before the registration: the registering
     * connection holds the path as a temporary root, so no collection deletes it meanwhile.
     */
    public void remember(PathInfo info) {
        entries.put(info.path(), info, entries.generation());
    }

    @Override
    public Optional<StorePath> queryPathFromHashPart(String hashPart) {
        return store.queryPathFromHashPart(hashPart);
    }

    @Override
    public SortedSet<StorePath> queryReferrers(StorePath path) {
        return store.queryReferrers(path);
    }

    @Override
    public SortedSet<StorePath> queryValidDerivers(StorePath path) {
        return store.queryValidDerivers(path);
    }

    @Override
    public SortedMap<String, Optional<StorePath>> queryDerivationOutputMap(StorePath drvPath) {
        return store.queryDerivationOutputMap(drvPath);
    }

    @Override
    public SortedSet<StorePath> queryAllValidPaths() {
        return store.queryAllValidPaths();
    }

}
