package dev.cumulus.model.build;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A pool of build-runners alike: what they build ({@code platform}: Nix's system, extra-platforms and
 * system-features of a machine), how many cores a build is given ({@code NIX_BUILD_CORES}), and
 * the settings of whatever runs the pool ({@code runners=} and {@code jobs=} for {@code cumulus local},
 * task size and scale bounds in infra), which the store functions do not read. Each pool has its
 * own build queue, so it scales, and fails, on its own.
 */
public record RunnerPool(String name, RunnerPlatform platform, int cores, Map<String, String> settings) {
    /** Lower-case letters, digits, '-' and '_': the name ends queue names and CDK ids. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,39}");

    public RunnerPool {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("runner pool name '" + name
                    + "' must be 1 to 40 lower-case letters, digits, '-' or '_' (it names the pool's queue)");
        }
        if (cores < 1) {
            throw new IllegalArgumentException("runner pool '" + name + "' must give a build at least one core, not " + cores);
        }
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    /** Refuses a setting that is none of {@code known}: whoever runs the pool says which it reads. */
    public void requireSettings(java.util.Collection<String> known) {
        for (String key : settings.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("runner pool '" + name + "': unknown key '" + key
                        + "' (known: systems, features, cores, " + String.join(", ", known) + ")");
            }
        }
    }

    /** A whole-number setting of whoever runs the pool, at least {@code min}, or {@code otherwise} when absent. */
    public int intSetting(String key, int min, int otherwise) {
        String v = settings.get(key);
        if (v == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("runner pool '" + name + "': " + key + "= must be a whole number of at least "
                + min + ", not '" + v + "'");
    }

    /** The pool as one line of {@link RunnerPools#parse}: {@code NAME systems=… features=… cores=N …}. */
    public String render() {
        StringBuilder out = new StringBuilder(name).append(" systems=").append(String.join(",", platform.systems()))
                .append(" features=").append(String.join(",", platform.features())).append(" cores=").append(cores);
        settings.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
        return out.toString();
    }
}
