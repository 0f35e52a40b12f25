package dev.cumulus.model.wire;

import dev.cumulus.model.derived.Realisation;
import java.util.Collections;
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

    public boolean isSuccess() {
        return status.isSuccess();
    }
}
