package dev.cumulus.proxy;

import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.MissingPaths;
import dev.cumulus.proxy.backend.BuildService;
import dev.cumulus.proxy.backend.PathInfoService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * QueryMissing: what the store can answer from path info and realisations it answers here (valid paths need
 * nothing, an opaque path that is not valid is substitutable or unknown, a derivation whose wanted
 * outputs are all valid needs nothing); whatever would need a build is the build service's to plan.
 * Nix asks this before most commands, {@code nix path-info} included, so it must not depend on builds.
 */
final class MissingPathsPlanner {
    private final PathInfoService paths;
    private final BuildService builds;
    private final KnownOutputs known;

    MissingPathsPlanner(PathInfoService paths, BuildService builds, KnownOutputs known) {
        this.paths = paths;
        this.builds = builds;
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
        Set<StorePath> substitutable = absent.isEmpty() ? Set.of() : paths.querySubstitutablePaths(absent);
        TreeSet<StorePath> unknown = new TreeSet<>(absent);
        unknown.removeAll(substitutable);
        MissingPaths here = new MissingPaths(new TreeSet<>(), new TreeSet<>(substitutable), unknown, 0, 0);
        if (toBuild.isEmpty()) {
            return here;
        }
        MissingPaths built = builds.queryMissing(toBuild);
        TreeSet<StorePath> willSubstitute = new TreeSet<>(here.willSubstitute());
        willSubstitute.addAll(built.willSubstitute());
        TreeSet<StorePath> unknownAll = new TreeSet<>(unknown);
        unknownAll.addAll(built.unknown());
        return new MissingPaths(built.willBuild(), willSubstitute, unknownAll, built.downloadSize(), built.narSize());
    }
}
