package dev.cumulus.model.wire;

import dev.cumulus.model.derived.DerivedPath;

/** One result of BuildPathsWithResults: what was asked for and how it went. */
public record KeyedBuildResult(DerivedPath path, BuildResult result) {
}
