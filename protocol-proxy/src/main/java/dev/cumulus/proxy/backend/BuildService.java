package dev.cumulus.proxy.backend;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.BuildResult;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.model.wire.MissingPaths;
import java.io.InputStream;
import java.util.List;

/** Builds (BuildPaths, BuildPathsWithResults, BuildDerivation, EnsurePath), QueryMissing and build logs. */
public interface BuildService {
    List<KeyedBuildResult> build(Session session, List<DerivedPath> paths, BuildMode mode);

    BuildResult buildDerivation(Session session, StorePath drvPath, Derivation derivation, BuildMode mode);

    /** Makes a path valid, building or substituting it if needed. */
    void ensurePath(Session session, StorePath path);

    MissingPaths queryMissing(List<DerivedPath> targets);

    void addBuildLog(StorePath drvPath, InputStream log);
}
