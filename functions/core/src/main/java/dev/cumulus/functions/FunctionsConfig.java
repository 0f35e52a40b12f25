package dev.cumulus.functions;

import dev.cumulus.aws.StoreSigningKey;
import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.StoreDir;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the store functions need besides their tables: the store directory paths are printed in, the
 * keys whose signatures make an input-addressed path or a realisation acceptable (from an untrusted
 * caller, or from a substituter), the binary caches the store substitutes from (in priority order),
 * the limits every build runs under, the store's signing key and NAR compression for what it
 * substitutes, how long a download from a substituter may stall, and the runner pools builds are
 * routed to (a derivation for a system or feature no pool has is refused at once, as Nix refuses it).
 */
public record FunctionsConfig(StoreDir storeDir, String resourcePrefix, List<PublicKey> trustedKeys,
                              List<URI> substituters, BuildLimits buildLimits, long gcGraceSeconds,
                              Optional<SecretKey> signingKey, NarCompression narCompression, Duration stalledDownload,
                              RunnerPools runnerPools) {
    /**
     * How old a NAR or narinfo object that no path refers to must be before a collection removes
     * it: longer than any upload takes from its first byte to its path's registration.
     */
    public static final long DEFAULT_GC_GRACE_SECONDS = 3600;


    /**
     * The longest a build may run and stay silent, in seconds (0: no limit). A client's own
     * {@code timeout} and {@code max-silent-time} apply when shorter; Nix 2.8 sends none over
     * ssh-ng, and a builder that hangs must not hold a runner forever. Hydra's defaults.
     */
    public record BuildLimits(long timeoutSeconds, long maxSilentSeconds) {
        public static final BuildLimits DEFAULT = new BuildLimits(36_000, 7_200);

        /** The client's limit when it set one within ours, else ours. */
        static long effective(long client, long store) {
            if (client <= 0) {
                return store;
            }
            return store <= 0 ? client : Math.min(client, store);
        }
    }

    public FunctionsConfig {
        trustedKeys = List.copyOf(trustedKeys);
        substituters = List.copyOf(substituters);
    }

    /** The environment variables {@link #fromEnvironment} reads besides the store directory, prefix and signing key. */
    public static final List<String> SETTINGS = List.of("CUMULUS_TRUSTED_PUBLIC_KEYS", "CUMULUS_SUBSTITUTERS",
            "CUMULUS_BUILD_TIMEOUT", "CUMULUS_BUILD_MAX_SILENT_TIME", "CUMULUS_GC_GRACE", "CUMULUS_STALLED_DOWNLOAD_TIMEOUT",
            "CUMULUS_RUNNER_POOLS");

    /** Nix's {@code stalled-download-timeout}: a download that receives nothing this long is given up. */
    public static final Duration DEFAULT_STALLED_DOWNLOAD = Duration.ofSeconds(300);

    public FunctionsConfig(StoreDir storeDir, String resourcePrefix, List<PublicKey> trustedKeys, List<URI> substituters) {
        this(storeDir, resourcePrefix, trustedKeys, substituters, BuildLimits.DEFAULT, DEFAULT_GC_GRACE_SECONDS,
                Optional.empty(), NarCompression.ZSTD, DEFAULT_STALLED_DOWNLOAD, RunnerPools.defaults(Runtime.getRuntime().availableProcessors()));
    }

    public FunctionsConfig withStoreDir(StoreDir dir) {
        return new FunctionsConfig(dir, resourcePrefix, trustedKeys, substituters, buildLimits, gcGraceSeconds, signingKey,
                narCompression, stalledDownload, runnerPools);
    }

    public FunctionsConfig withResourcePrefix(String prefix) {
        return new FunctionsConfig(storeDir, prefix, trustedKeys, substituters, buildLimits, gcGraceSeconds, signingKey,
                narCompression, stalledDownload, runnerPools);
    }

    public FunctionsConfig withSigningKey(Optional<SecretKey> key) {
        return new FunctionsConfig(storeDir, resourcePrefix, trustedKeys, substituters, buildLimits, gcGraceSeconds, key,
                narCompression, stalledDownload, runnerPools);
    }

    public FunctionsConfig withNarCompression(NarCompression compression) {
        return new FunctionsConfig(storeDir, resourcePrefix, trustedKeys, substituters, buildLimits, gcGraceSeconds,
                signingKey, compression, stalledDownload, runnerPools);
    }

    public FunctionsConfig withRunnerPools(RunnerPools pools) {
        return new FunctionsConfig(storeDir, resourcePrefix, trustedKeys, substituters, buildLimits, gcGraceSeconds,
                signingKey, narCompression, stalledDownload, pools);
    }

    /**
     * From {@code CUMULUS_STORE_DIR}, {@code CUMULUS_RESOURCE_PREFIX}, {@code CUMULUS_TRUSTED_PUBLIC_KEYS}
     * and {@code CUMULUS_SUBSTITUTERS} (both space-separated, as in nix.conf), {@code CUMULUS_BUILD_TIMEOUT}
     * and {@code CUMULUS_BUILD_MAX_SILENT_TIME} (seconds), {@code CUMULUS_GC_GRACE} (seconds), the
     * signing key ({@link StoreSigningKey}), {@code CUMULUS_NAR_COMPRESSION} and
     * {@code CUMULUS_STALLED_DOWNLOAD_TIMEOUT} (seconds), {@code CUMULUS_RUNNER_POOLS} (the runner
     * pools, as {@link RunnerPools#parse} reads them).
     */
    public static FunctionsConfig fromEnvironment(Map<String, String> env) {
        return new FunctionsConfig(new StoreDir(env.getOrDefault("CUMULUS_STORE_DIR", StoreDir.DEFAULT.path())),
                env.getOrDefault("CUMULUS_RESOURCE_PREFIX", CloudResources.DEFAULT_PREFIX),
                words(env.get("CUMULUS_TRUSTED_PUBLIC_KEYS")).stream().map(PublicKey::parse).toList(),
                words(env.get("CUMULUS_SUBSTITUTERS")).stream().map(URI::create).toList(),
                new BuildLimits(seconds(env, "CUMULUS_BUILD_TIMEOUT", BuildLimits.DEFAULT.timeoutSeconds()),
                        seconds(env, "CUMULUS_BUILD_MAX_SILENT_TIME", BuildLimits.DEFAULT.maxSilentSeconds())),
                seconds(env, "CUMULUS_GC_GRACE", DEFAULT_GC_GRACE_SECONDS), StoreSigningKey.fromEnvironment(env),
                NarCompression.parse(env.getOrDefault("CUMULUS_NAR_COMPRESSION", NarCompression.ZSTD.nixName())),
                Duration.ofSeconds(seconds(env, "CUMULUS_STALLED_DOWNLOAD_TIMEOUT", DEFAULT_STALLED_DOWNLOAD.toSeconds())),
                runnerPools(env));
    }

    /** {@code CUMULUS_RUNNER_POOLS}, or one pool as Nix describes this machine, its builds given all its cores. */
    private static RunnerPools runnerPools(Map<String, String> env) {
        int cores = Runtime.getRuntime().availableProcessors();
        String pools = env.get("CUMULUS_RUNNER_POOLS");
        return pools == null || pools.isBlank() ? RunnerPools.defaults(cores) : RunnerPools.parse(pools, cores);
    }

    private static long seconds(Map<String, String> env, String name, long otherwise) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        try {
            long s = Long.parseLong(v.trim());
            if (s < 0) {
                throw new NumberFormatException();
            }
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number of seconds (0: no limit), not '" + v + "'");
        }
    }

    private static List<String> words(String text) {
        return text == null || text.isBlank() ? List.of() : Arrays.asList(text.trim().split("\\s+"));
    }
}
