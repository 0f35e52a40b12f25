package dev.cumulus.functions.bench;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.Responses.Paths;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Latency of QueryPathInfo (one path) and QueryValidPaths (1,000 paths) through the in-process
 * invoker (JSON both ways) against DynamoDB Local in memory, on a store holding 1,000 valid paths.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 4)
@Fork(1)
public class StoreQueryBenchmark {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final int PATHS = 1000;

    LocalStack stack;
    StoreFunctionClient client;
    List<String> paths;
    PathsQuery all;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        stack = LocalStack.start(Optional.empty(), "bench-");
        FunctionsConfig config = new FunctionsConfig(STORE, "bench-", List.of(), List.of());
        client = new StoreFunctionClient(new InProcessInvoker(StoreFunctions.of(new AwsClients(stack.config()), config)));
        paths = new ArrayList<>();
        List<NewPath> batch = new ArrayList<>();
        for (int i = 0; i < PATHS; i++) {
            PathInfo info = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("bench " + i), "bench-" + i),
                    Hash.sha256("nar " + i), 10_000 + i, i == 0 ? List.of() : List.of(
                            STORE.parse(paths.get(i - 1))));
            paths.add(STORE.print(info.path()));
            batch.add(new NewPath(PathInfoEvent.of(STORE, info), null, Map.of()));
            if (batch.size() == 100) {
                client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false, batch));
                batch.clear();
            }
        }
        all = new PathsQuery(paths);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stack.close();
    }

    @Benchmark
    public PathInfoAnswer queryPathInfo() {
        return client.call(StoreFunction.QUERY_PATH_INFO,
                new PathQuery(paths.get(ThreadLocalRandom.current().nextInt(PATHS))));
    }

    @Benchmark
    public Paths queryValidPaths1000() {
        Paths valid = client.call(StoreFunction.QUERY_VALID_PATHS, all);
        if (valid.paths().size() != PATHS) {
            throw new IllegalStateException("expected all " + PATHS + " paths valid, got " + valid.paths().size());
        }
        return valid;
    }

    public static void main(String[] args) throws Exception {
        new Runner(new OptionsBuilder().include(StoreQueryBenchmark.class.getSimpleName()).build()).run();
    }
}
