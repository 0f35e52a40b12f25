package dev.cumulus.model.wire;

import dev.cumulus.model.derived.Realisation;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a build came to, as BuildDerivation and BuildPathsWithResults report it. Times are Unix
 * seconds; CPU times microseconds (protocol 1.37+). {@code builtOutputs} maps output names to
 * their realisations (1.28+).
 */
public record BuildResult(
        BuildStatus status,
        String errorMsg,
        long timesBuilt,
        boolean isNonDeterministic,
        long startTime,
        long stopTime,
        Optional<Long> cpuUser,
        Optional<Long> cpuSystem,
        SortedMap<String, Realisation> builtOutputs) {

    public BuildResult {
        builtOutputs = Collections.unmodifiableSortedMap(new TreeMap<>(builtOutputs));
    }

    public static BuildResult success(BuildStatus status, Map<String, Realisation> builtOutputs) {
        return new BuildResult(status, "", 0, false, 0, 0, Optional.empty(), Optional.empty(), new TreeMap<>(builtOutputs));
    }

    public static BuildResult failure(BuildStatus status, String errorMsg) {
        return new BuildResult(status, errorMsg, 0, false, 0, 0, Optional.empty(), Optional.empty(), new TreeMap<>());
    }

    public boolean isSuccess() {
        return status.isSuccess();
    }
}
