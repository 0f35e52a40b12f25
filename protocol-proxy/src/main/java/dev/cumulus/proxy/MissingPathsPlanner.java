package dev.cumulus.proxy;

import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.MissingPaths;
import dev.cumulus.model.wire.SubstitutablePathInfo;
import dev.cumulus.proxy.backend.BuildService;
import dev.cumulus.proxy.backend.PathInfoService;
import dev.cumulus.proxy.backend.SubstitutionService;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * QueryMissing: what the store can answer from path info, realisations and its substituters (valid
 * paths need nothing; an opaque path that is not valid is substituted with what it refers to, or
 * unknown; a derivation whose wanted outputs are all valid needs nothing); whatever would need a
 * build is the build service's to plan. Nix asks this before most commands, {@code nix path-info}
 * included, so it must not depend on builds.
 */
final class MissingPathsPlanner {
    private final PathInfoService paths;
    private final BuildService builds;
    private final SubstitutionService substitutions;
    private final KnownOutputs known;

    MissingPathsPlanner(PathInfoService paths, BuildService builds, SubstitutionService substitutions, KnownOutputs known) {
        this.paths = paths;
        this.builds = builds;
        this.substitutions = substitutions;
        this.known = known;
    }

    MissingPaths plan(List<DerivedPath> targets) {
        TreeSet<StorePath> opaque = new TreeSet<>();
        List<DerivedPath> toBuild = new ArrayList<>();
        for (DerivedPath target : targets) {
            switch (target) {
                case DerivedPath.Opaque o -> opaque.add(o.path());
                case DerivedPath.Built b -> {
                    if (known.valid(b, false).isEmpty()) {
                        toBuild.add(b);
                    }
                }
            }
        }
        TreeSet<StorePath> absent = new TreeSet<>(opaque);
        absent.removeAll(paths.queryValidPaths(opaque));
        MissingPaths built = toBuild.isEmpty() ? new MissingPaths(new TreeSet<>(), new TreeSet<>(), new TreeSet<>(), 0, 0)
                : builds.queryMissing(toBuild);
        // What will be fetched is the closure of what is: a substituted path's missing references come too.
        TreeSet<StorePath> seeds = new TreeSet<>(absent);
        seeds.addAll(built.willSubstitute());
        SortedMap<StorePath, SubstitutablePathInfo> fetched = seeds.isEmpty() ? new TreeMap<>()
                : substitutions.querySubstitutableClosure(seeds);
        TreeSet<StorePath> unknown = new TreeSet<>(absent);
        unknown.removeAll(fetched.keySet());
        unknown.addAll(built.unknown());
        long download = fetched.values().stream().mapToLong(SubstitutablePathInfo::downloadSize).sum();
        long nar = fetched.values().stream().mapToLong(SubstitutablePathInfo::narSize).sum();
        return new MissingPaths(built.willBuild(), new TreeSet<>(fetched.keySet()), unknown, download, nar);
    }

}
