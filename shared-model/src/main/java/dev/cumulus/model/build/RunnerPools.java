package dev.cumulus.model.build;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The store's runner pools, in the order builds are routed: a derivation goes to the first pool
 * whose platform has its {@code system} and all its {@code requiredSystemFeatures} (so a small
 * general pool listed before a large {@code big-parallel} one keeps one-liners off the large tasks),
 * and one that no pool can build is refused at once, in Nix's words.
 */
public record RunnerPools(List<RunnerPool> pools) {
    /** The name of the pool {@link #defaults} makes. */
    public static final String DEFAULT_NAME = "default";

    public RunnerPools {
        pools = List.copyOf(pools);
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("there must be at least one runner pool");
        }
        Set<String> names = new HashSet<>();
        for (RunnerPool p : pools) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException("two runner pools are named '" + p.name() + "'");
            }
        }
    }

    /**
     * One pool, {@value #DEFAULT_NAME}, as Nix describes this kind of machine ({@link RunnerPlatform#defaults}),
     * whose builds are told to use {@code cores} cores.
     */
    public static RunnerPools defaults(int cores) {
        return new RunnerPools(List.of(new RunnerPool(DEFAULT_NAME, RunnerPlatform.defaults(), cores, Map.of())));
    }

    /**
     * Pools separated by {@code ;} or new lines, each {@code NAME key=value …}: {@code systems=} and
     * {@code features=} (comma-separated; the first system is the pool's own; defaults as
     * {@link RunnerPlatform#defaults}), {@code cores=} ({@code defaultCores} when absent), and any other
     * key as a setting of whoever runs the pool. Names and values are checked; nothing is guessed.
     */
    public static RunnerPools parse(String text, int defaultCores) {
        return parse(text, settings -> defaultCores);
    }

    /** As {@link #parse(String, int)}, a pool's cores by default what {@code defaultCores} makes of its other settings. */
    public static RunnerPools parse(String text, java.util.function.ToIntFunction<Map<String, String>> defaultCores) {
        List<RunnerPool> pools = new ArrayList<>();
        for (String line : text.split("[;\n]")) {
            if (!line.isBlank()) {
                pools.add(parsePool(line.strip(), defaultCores));
            }
        }
        return new RunnerPools(pools);
    }

    private static RunnerPool parsePool(String line, java.util.function.ToIntFunction<Map<String, String>> defaultCores) {
        String[] words = line.split("\\s+");
        String name = words[0];
        if (name.contains("=")) {
            throw new IllegalArgumentException("runner pool '" + line + "' must start with its name");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String word : Arrays.asList(words).subList(1, words.length)) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("runner pool '" + name + "': '" + word + "' is not key=value");
            }
            if (values.put(word.substring(0, eq), word.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("runner pool '" + name + "' sets " + word.substring(0, eq) + " twice");
            }
        }
        RunnerPlatform d = RunnerPlatform.defaults();
        String systems = values.remove("systems");
        String features = values.remove("features");
        String cores = values.remove("cores");
        RunnerPlatform platform = new RunnerPlatform(systems == null ? d.systems() : new LinkedHashSet<>(list(systems)),
                features == null ? d.features() : new TreeSet<>(list(features)));
        int n;
        try {
            n = cores == null ? defaultCores.applyAsInt(values) : Integer.parseInt(cores);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("runner pool '" + name + "': cores= must be a whole number, not '" + cores + "'");
        }
        return new RunnerPool(name, platform, n, values);
    }

    private static List<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).filter(s -> !s.isEmpty()).toList();
    }

    /** As {@link #parse} reads it, settings included. */
    public String render() {
        return pools.stream().map(RunnerPool::render).collect(Collectors.joining("; "));
    }

    public List<String> names() {
        return pools.stream().map(RunnerPool::name).toList();
    }

    /** The pool that builds {@code drv}, or why none can, in Nix's words. */
    public sealed interface Route {
        record To(RunnerPool pool) implements Route {}

        record Refused(String reason) implements Route {}
    }

    public Route route(StoreDir storeDir, StorePath drvPath, Derivation drv) {
        SortedSet<String> required = RunnerPlatform.requiredFeatures(drv);
        for (RunnerPool p : pools) {
            if (p.platform().builds(drv.platform(), required)) {
                return new Route.To(p);
            }
        }
        String needed = "a '" + drv.platform() + "' with features {" + String.join(", ", required) + "} is required to build '"
                + storeDir.print(drvPath) + "', but ";
        if (pools.size() == 1) {
            return new Route.Refused(needed + "I am " + pools.getFirst().platform().describe());
        }
        return new Route.Refused(needed + "no runner pool is: " + pools.stream()
                .map(p -> "pool '" + p.name() + "' is " + p.platform().describe()).collect(Collectors.joining("; ")));
    }
}
