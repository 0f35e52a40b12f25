package dev.cumulus.cli;

import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.StoreFunctionClient;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./cumulus gc}: what {@code nix-store --gc} does, on the store behind the state directory. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Deletes the store paths no root reaches (or lists them, or the live ones), "
                + "then NAR and narinfo files no path refers to that are older than the grace period. "
                + "The collection runs in the store's functions (started by collect-garbage, its steps in "
                + "collection-steps); its phase and counts are shown on stderr while it runs."})
final class GcCommand implements Callable<Integer> {
    @Option(names = "--print-dead", description = "List the paths a collection would delete; delete nothing.")
    boolean printDead;

    @Option(names = "--print-live", description = "List the paths the roots keep alive; delete nothing.")
    boolean printLive;

    @Option(names = "--max-freed", paramLabel = "BYTES", defaultValue = "-1",
            description = "Stop once this many bytes of NARs are freed (default: no limit).")
    long maxFreed;

    @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "-1",
            description = "How old an unreferenced NAR or narinfo file must be to go (default: the store's, "
                    + "CUMULUS_GC_GRACE or an hour). Shorter than an upload takes is unsafe while clients upload.")
    long graceSeconds;

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        if (printDead && printLive) {
            System.err.println("cumulus gc: --print-dead and --print-live exclude each other");
            return 2;
        }
        ProxyCommand.quietLibraries();
        String action = printDead ? CollectGarbage.RETURN_DEAD
                : printLive ? CollectGarbage.RETURN_LIVE : CollectGarbage.DELETE_DEAD;
        StoreFunctionClient functions = state.functions();
        boolean deletes = action.equals(CollectGarbage.DELETE_DEAD);
        String[] shown = {null};
        GarbageCollected done = GarbageCollection.run(functions, CollectGarbage.wholeStore(action, maxFreed, graceSeconds),
                true, state -> {
                    String line = describe(state);
                    if (deletes && !line.equals(shown[0])) {
                        System.err.println(line);
                        shown[0] = line;
                    }
                });
        done.paths().forEach(System.out::println);
        if (deletes) {
            System.err.printf("%d store paths deleted, %.2f MiB freed; %d unreferenced bucket files removed%n",
                    done.paths().size(), done.bytesFreed() / 1048576.0, done.removedObjects());
        }
        return 0;
    }

    static String describe(CollectionState c) {
        String counts = switch (c.phase()) {
            case CollectionState.SCANNING -> c.scanned() + " paths scanned";
            case CollectionState.DELETING -> c.marked() + " of " + c.dead() + " dead paths marked, " + c.deleted()
                    + " deleted, " + String.format(Locale.ROOT, "%.2f MiB freed", c.bytesFreed() / 1048576.0);
            case CollectionState.SWEEPING -> c.deleted() + " paths deleted; sweeping the bucket";
            default -> c.deleted() + " paths deleted";
        };
        return "collection " + c.id() + ": " + c.phase() + ", " + counts;
    }
}
