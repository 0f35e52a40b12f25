package dev.cumulus.model.wire;

/**
 * The settings the serve protocol sends before each build (BuildPaths, BuildDerivation): seconds
 * of silence and in all before the build is stopped (0: no limit), the largest log (2.2+), repeats
 * and determinism checking (2.3+, obsolete: Nix refuses repeats) and whether to keep a failed build
 * directory (2.7+). Fields a version does not send are read as 0.
 */
public record ServeBuildOptions(long maxSilentTime, long buildTimeout, long maxLogSize, long nrRepeats, boolean enforceDeterminism,
                                boolean keepFailed) {
}
