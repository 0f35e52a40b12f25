package dev.cumulus.cli;

import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.QueryCollections;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./cumulus gc}: what {@code nix-store --gc} does, on the store behind the state directory. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = {"Deletes the store paths no root reaches (or lists them, or the live ones), "
                + "then NAR and narinfo files no path refers to that are older than the grace period. "
                + "The collection runs in the store's collect-garbage function; its phase and counts "
                + "are shown on stderr while it runs."})
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
        long started = Instant.now().getEpochSecond();
        CompletableFuture<GarbageCollected> collection = CompletableFuture.supplyAsync(() -> functions.call(
                StoreFunction.COLLECT_GARBAGE, CollectGarbage.wholeStore(action, maxFreed, graceSeconds)),
                Thread.ofVirtual()::start);
        if (action.equals(CollectGarbage.DELETE_DEAD)) {
            showProgress(functions, collection, started);
        }
        GarbageCollected done;
        try {
            done = collection.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        done.paths().forEach(System.out::println);
        if (action.equals(CollectGarbage.DELETE_DEAD)) {
            System.err.printf("%d store paths deleted, %.2f MiB freed; %d unreferenced bucket files removed%n",
                    done.paths().size(), done.bytesFreed() / 1048576.0, done.removedObjects().size());
        }
        return 0;
    }

    /**
     * Prints the collection's phase and counts to stderr whenever they change, from its record in the
     * store (the newest collection started since this command), until it ends.
     */
    private static void showProgress(StoreFunctionClient functions, CompletableFuture<GarbageCollected> collection,
                                     long started) throws InterruptedException {
        String shown = null;
        while (!collection.isDone()) {
            try {
                Optional<CollectionState> ours = functions.call(StoreFunction.QUERY_COLLECTIONS, new QueryCollections())
                        .collections().stream().filter(c -> c.startedAt() >= started - 1)
                        .min(Comparator.comparingLong(CollectionState::startedAt));
                if (ours.isPresent()) {
                    String line = describe(ours.get());
                    if (!line.equals(shown)) {
                        System.err.println(line);
                        shown = line;
                    }
                }
            } catch (RuntimeException e) {
                // progress is a courtesy: the collection's own answer says whether it worked
            }
            try {
                collection.get(PROGRESS_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // still running, or failed: join() reports it
            }
        }
    }

    private static final long PROGRESS_MILLIS = 1000;

    static String describe(CollectionState c) {
        String counts = switch (c.phase()) {
            case CollectionState.SCANNING -> c.scanned() + " paths scanned";
            case CollectionState.DELETING -> c.marked() + " of " + c.dead() + " dead paths marked, " + c.deleted()
                    + " deleted, " + String.format(Locale.ROOT, "%.2f MiB freed", c.bytesFreed() / 1048576.0);
            default -> c.deleted() + " paths deleted";
        };
        return "collection " + c.id() + ": " + c.phase() + ", " + counts;
    }
}
