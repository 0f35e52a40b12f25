package dev.cumulus.proxy.backend;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.SubstitutablePathInfo;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * The one answer to "what can the store fetch from upstream": HasSubstitutes,
 * QuerySubstitutablePaths, QuerySubstitutablePathInfo(s) and QueryMissing ask it, and EnsurePath,
 * BuildPaths, QueryValidPaths with its substitute flag and builds' inputs use it to fetch.
 */
public interface SubstitutionService {
    /** Which of {@code paths} (not valid here) a substituter offers. */
    SortedSet<StorePath> querySubstitutablePaths(Set<StorePath> paths);

    /** What the substituters say of the paths they offer. */
    SortedMap<StorePath, SubstitutablePathInfo> querySubstitutablePathInfos(Set<StorePath> paths);

    /**
     * What fetching {@code paths} (not valid here) would fetch: those a substituter offers and, with
     * them, every path their closures need that is not valid here either (QueryMissing's willSubstitute).
     */
    SortedMap<StorePath, SubstitutablePathInfo> querySubstitutableClosure(Set<StorePath> paths);

    /**
     * Makes {@code paths} valid, and the outputs named by {@code outputs} realised, fetching what is
     * missing of them; waits until that is done. Answers what could not be had (a printed path or
     * realisation id to Nix's reason); empty when everything is valid.
     */
    Map<String, String> substitute(Session session, Set<StorePath> paths, Set<DrvOutput> outputs);
}
