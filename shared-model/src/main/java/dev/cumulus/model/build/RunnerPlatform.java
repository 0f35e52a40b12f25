package dev.cumulus.model.build;

import dev.cumulus.model.derivation.Derivation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SequencedSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a pool of runners can build, as Nix's {@code system}, {@code extra-platforms} and
 * {@code system-features} say it of a machine: the systems (the first is the runners' own) and the
 * features a derivation may require with {@code requiredSystemFeatures}.
 */
public record RunnerPlatform(SequencedSet<String> systems, SortedSet<String> features) {
    public RunnerPlatform {
        if (systems.isEmpty()) {
            throw new IllegalArgumentException("the runners have no system");
        }
        systems = java.util.Collections.unmodifiableSequencedSet(new LinkedHashSet<>(systems));
        features = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(features));
    }

    /**
     * What Nix gives a machine like the runners' (x86_64 Linux under bubblewrap): its system and
     * i686-linux, and the features {@code nixos-test benchmark big-parallel}, with {@code kvm} where
     * {@code /dev/kvm} exists here.
     */
    public static RunnerPlatform defaults() {
        TreeSet<String> features = new TreeSet<>(List.of("nixos-test", "benchmark", "big-parallel"));
        if (Files.exists(Path.of("/dev/kvm"))) {
            features.add("kvm");
        }
        return new RunnerPlatform(new LinkedHashSet<>(List.of("x86_64-linux", "i686-linux")), features);
    }

    /** The features {@code drv} requires ({@code requiredSystemFeatures}, space-separated as Nix reads it). */
    public static SortedSet<String> requiredFeatures(Derivation drv) {
        TreeSet<String> out = new TreeSet<>();
        String attr = drv.env().getOrDefault("requiredSystemFeatures", "");
        for (String f : attr.strip().split("\\s+")) {
            if (!f.isEmpty()) {
                out.add(f);
            }
        }
        return out;
    }

    /** Whether a machine like this builds for {@code system} with all of {@code required}. */
    public boolean builds(String system, Set<String> required) {
        return systems.contains(system) && features.containsAll(required);
    }

    /** As Nix describes a machine: "a 'x86_64-linux' with features {…} (and can build for 'i686-linux')". */
    public String describe() {
        return "a '" + systems.getFirst() + "' with features {" + String.join(", ", features) + "}" + (systems.size() > 1
                ? " (and can build for " + String.join(", ", systems.stream().skip(1).map(s -> "'" + s + "'").toList()) + ")"
                : "");
    }
}
