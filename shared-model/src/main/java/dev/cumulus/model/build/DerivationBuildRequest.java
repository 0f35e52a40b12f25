package dev.cumulus.model.build;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Translates a derivation into a {@link BuildRequest}: what Nix's sandboxed builder would see
 * (its environment, {@code /build}, the input closure under the store directory) spelled out, so
 * that a runner needs no knowledge of Nix. An output whose path is not known before the build (a
 * floating content-addressed one) is built at Nix's fallback ("scratch") path and its placeholder is
 * rewritten to that path wherever it appears in the environment, builder or arguments.
 */
public final class DerivationBuildRequest {
    /** Where the build directory is inside the sandbox, as in Nix's sandbox. */
    public static final String BUILD_DIR = "/build";

    private DerivationBuildRequest() {}

    /** Limits and resources for one build: seconds (0: none) and the cores the builder is told to use. */
    public record Settings(long timeoutSeconds, long maxSilentSeconds, int cores) {}

    /**
     * @param inputClosure every store path the builder may see: the closure of the input sources
     *                     and of the input derivations' wanted outputs
     * @throws IllegalArgumentException for derivations a runner cannot build (builtins, structured attributes)
     */
    public static BuildRequest of(StoreDir storeDir, StorePath drvPath, Derivation drv, Collection<StorePath> inputClosure,
                                  Settings settings) {
        if (drv.builder().startsWith("builtin:")) {
            throw new IllegalArgumentException("'" + storeDir.print(drvPath) + "' uses the builtin builder '" + drv.builder()
                    + "', which Cumulus's runners do not provide");
        }
        if (drv.env().containsKey("__json")) {
            throw new IllegalArgumentException("'" + storeDir.print(drvPath)
                    + "' uses structured attributes (__structuredAttrs), which Cumulus's runners do not support yet");
        }
        if (drv.isImpure() || drv.outputs().values().stream().anyMatch(o -> o instanceof DerivationOutput.Deferred)) {
            throw new IllegalArgumentException("'" + storeDir.print(drvPath)
                    + "' has impure or deferred outputs; resolve its inputs before building it");
        }
        Map<String, String> rewrites = new LinkedHashMap<>();
        List<BuildRequest.Output> outputs = new ArrayList<>();
        SortedMap<String, String> outputPaths = new TreeMap<>();
        for (Map.Entry<String, DerivationOutput> e : drv.outputs().entrySet()) {
            String name = e.getKey();
            StorePath path = drv.outputPath(storeDir, name).orElseGet(() -> scratchPath(storeDir, drvPath, drv.name(), name));
            String printed = storeDir.print(path);
            rewrites.put(Derivation.hashPlaceholder(name), printed);
            outputPaths.put(name, printed);
            outputs.add(switch (e.getValue()) {
                case DerivationOutput.CaFixed f -> new BuildRequest.Output(printed, f.ca().methodAlgo(), f.ca().hash().toSri());
                case DerivationOutput.CaFloating f -> new BuildRequest.Output(printed,
                        f.method().prefix() + f.hashAlgorithm().nixName(), null);
                default -> new BuildRequest.Output(printed, null, null);
            });
        }
        TreeMap<String, String> env = new TreeMap<>();
        // What Nix's initEnv sets, then the derivation's own variables, then what may not be overridden.
        env.put("PATH", "/path-not-set");
        env.put("HOME", "/homeless-shelter");
        env.put("NIX_STORE", storeDir.path());
        env.put("NIX_BUILD_CORES", Integer.toString(settings.cores()));
        drv.env().forEach((k, v) -> env.put(k, rewrite(v, rewrites)));
        for (String dir : List.of("NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD")) {
            env.put(dir, BUILD_DIR);
        }
        env.put("NIX_LOG_FD", "2");
        env.put("TERM", "xterm-256color");
        List<String> command = new ArrayList<>();
        command.add(rewrite(drv.builder(), rewrites));
        drv.args().forEach(a -> command.add(rewrite(a, rewrites)));
        TreeSet<StorePath> inputs = new TreeSet<>(inputClosure);
        List<String> needles = new ArrayList<>();
        outputs.forEach(o -> needles.add(storeDir.parse(o.path()).hashPart()));
        inputs.forEach(p -> needles.add(p.hashPart()));
        return new BuildRequest(storeDir.path(), command, env, inputs.stream().map(storeDir::print).toList(), outputs,
                BUILD_DIR, List.of(BUILD_DIR, storeDir.path()), needles,
                new BuildRequest.Constraints(drv.platform(), drv.isFixedOutput(), settings.timeoutSeconds(),
                        settings.maxSilentSeconds()));
    }

    /**
     * Nix's fallback path for an output whose final path is not known yet: unique to the
     * derivation and output, with the output's name.
     */
    public static StorePath scratchPath(StoreDir storeDir, StorePath drvPath, String drvName, String outputName) {
        return storeDir.makeStorePath("rewrite:" + drvPath.baseName() + ":name:" + outputName,
                new Hash(HashAlgorithm.SHA256, new byte[32]), StoreDir.outputPathName(drvName, outputName));
    }

    private static String rewrite(String s, Map<String, String> rewrites) {
        for (Map.Entry<String, String> r : rewrites.entrySet()) {
            s = s.replace(r.getKey(), r.getValue());
        }
        return s;
    }
}
