package dev.cumulus.proxy.backend;

import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/** Queries about valid paths (IsValidPath, QueryPathInfo, QueryReferrers, …) and AddSignatures. */
public interface PathInfoService {
    Optional<PathInfo> queryPathInfo(StorePath path);

    SortedSet<StorePath> queryValidPaths(Set<StorePath> paths);

    Optional<StorePath> queryPathFromHashPart(String hashPart);

    SortedSet<StorePath> queryReferrers(StorePath path);

    SortedSet<StorePath> queryValidDerivers(StorePath path);

    /** Output name to output path (empty when not known yet) for a derivation in the store. */
    SortedMap<String, Optional<StorePath>> queryDerivationOutputMap(StorePath drvPath);

    SortedSet<StorePath> queryAllValidPaths();

    void addSignatures(StorePath path, List<Signature> signatures);
}
