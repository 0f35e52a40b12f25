package dev.cumulus.cli;

import dev.cumulus.model.event.BuildEvents.BuildList;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.ListBuilds;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./cumulus builds [--json]}: the builds with their state, their runner pool and the runner that took each;
 * {@code ./cumulus builds log ID}: one build's log.
 */
@Command(name = "builds", mixinStandardHelpOptions = true,
        description = {"Lists builds (newest first) with their state, pool and runner, or with 'log ID' prints a build's log."})
final class BuildsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "log ID", arity = "0..2", description = "'log' and a build's id: print that build's log.")
    List<String> words = new ArrayList<>();

    @Option(names = "--json", description = "One JSON array of the builds: id, drvPath, state, status, error, pool, runner, "
            + "attempts, submittedAt, startTime, stopTime (epoch seconds; 0 when not yet), outputs.")
    boolean json;

    @Mixin
    StateDirOption state;

    /** What --json prints of a build. */
    record Listed(String id, String drvPath, String state, String status, String error, String pool, String runner, int attempts,
                  long submittedAt, long startTime, long stopTime, Map<String, String> outputs) {
        static Listed of(BuildState b) {
            return new Listed(b.id(), b.drvPath(), b.state(), b.status(), b.error(), b.pool(), b.runner(), b.attempts(),
                    b.submittedAt(), b.startTime(), b.stopTime(), b.outputs());
        }
    }

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        StoreFunctionClient functions = state.functions();
        if (!words.isEmpty()) {
            if (words.size() != 2 || !words.get(0).equals("log")) {
                System.err.println("usage: cumulus builds [log ID]");
                return 2;
            }
            BuildState state = functions.call(StoreFunction.QUERY_BUILD, new BuildQuery(words.get(1), 0));
            state.log().forEach(System.out::println);
            return 0;
        }
        List<BuildState> all = new ArrayList<>();
        String after = null;
        do {
            BuildList page = functions.call(StoreFunction.LIST_BUILDS, new ListBuilds(after, 100));
            all.addAll(page.builds());
            after = page.next();
        } while (after != null);
        all.sort(Comparator.comparingLong(BuildState::submittedAt).reversed());
        if (json) {
            System.out.println(new String(EventJson.write(all.stream().map(Listed::of).toList()), StandardCharsets.UTF_8));
            return 0;
        }
        for (BuildState b : all) {
            System.out.printf("%s  %-8s %-16s %d %-8s %s  %-10s %-10s %s%s%n", b.id(), b.state(),
                    b.status() == null ? "-" : b.status(), b.attempts(), b.attempts() == 1 ? "attempt" : "attempts",
                    Instant.ofEpochSecond(b.submittedAt()), b.pool() == null ? "-" : b.pool(), b.runner() == null ? "-" : b.runner(), b.drvPath(), b.error() == null ? "" : "  (" + b.error() + ")");
        }
        return 0;
    }
}
