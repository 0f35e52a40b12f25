package dev.cumulus.model.wire;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * SetOptions: the client's settings for this connection. The obsolete fields (useBuildHook,
 * logType, printBuildTrace) are read and kept only so that a request re-encodes byte for byte.
 */
public record ClientOptions(
        boolean keepFailed,
        boolean keepGoing,
        boolean tryFallback,
        long verbosity,
        long maxBuildJobs,
        long maxSilentTime,
        long obsoleteUseBuildHook,
        long verboseBuild,
        long obsoleteLogType,
        long obsoletePrintBuildTrace,
        long buildCores,
        boolean useSubstitutes,
        SortedMap<String, String> overrides) {

    public ClientOptions {
        overrides = Collections.unmodifiableSortedMap(new TreeMap<>(overrides));
    }

    /** What a connection has before SetOptions (ssh-ng clients never send it). */
    public static ClientOptions defaults() {
        return new ClientOptions(false, false, false, 3, 1, 0, 1, 3, 0, 0, 0, true, new TreeMap<>());
    }
}
