package dev.cumulus.cli;

import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.OutputsSpec;
import dev.cumulus.model.derived.SingleDerivedPath;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.proxy.backend.Backends;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ./cumulus build DRV_PATH}: builds a derivation already in the store, with no Nix client,
 * through the same build service the proxy uses (inputs first, valid outputs not rebuilt).
 */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = "Builds a derivation that is in the store (its inputs first) and prints its outputs.")
final class BuildCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DRV_PATH", description = "The derivation's store path.")
    String drvPath;

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        Map<String, String> env = state.environment();
        StoreDir storeDir = FunctionsConfig.fromEnvironment(env).storeDir();
        Backends backends = StoreFunctionsOption.IN_PROCESS.backends(storeDir, env);
        DerivedPath target = new DerivedPath.Built(new SingleDerivedPath.Opaque(storeDir.parse(drvPath)), new OutputsSpec.All());
        List<KeyedBuildResult> results = backends.builds().build(new CommandSession(System.err), List.of(target),
                BuildMode.NORMAL);
        boolean ok = true;
        for (KeyedBuildResult r : results) {
            if (r.result().isSuccess()) {
                r.result().builtOutputs().values().forEach(o -> System.out.println(storeDir.print(o.outPath())));
                if (r.result().builtOutputs().isEmpty()) {
                    backends.pathInfo().queryDerivationOutputMap(storeDir.parse(drvPath)).values()
                            .forEach(p -> p.ifPresent(x -> System.out.println(storeDir.print(x))));
                }
            } else {
                ok = false;
                System.err.println("error: " + r.result().errorMsg());
            }
        }
        return ok ? 0 : 1;
    }
}
