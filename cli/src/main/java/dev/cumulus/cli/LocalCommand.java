package dev.cumulus.cli;

import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.BinaryCacheIngest;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.functions.dashboard.Dashboard;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.build.RunnerPool;
import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.metrics.MetricsRegistry;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.ProxyConfig;
import dev.cumulus.proxy.SshServer;
import dev.cumulus.proxy.UnixSocketServer;
import dev.cumulus.proxy.backend.Backends;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cumulus local}: the whole of Cumulus on this machine. The emulated AWS services keep
 * their state in {@code STATE_DIR/aws}; the store functions run in this process; the proxy serves
 * {@code STATE_DIR/daemon.sock} and SSH on 127.0.0.1.
 */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Runs Cumulus on this machine: emulated DynamoDB, SQS and S3, the store functions and the proxy "
                + "on a unix socket, over SSH and (through STATE_DIR/remote-program) over stdio. Stops on Ctrl-C."})
final class LocalCommand implements Callable<Integer> {
    static final String SIGNING_KEY_NAME = "cumulus-local-1";
    /** How many steps of a garbage collection run at once on this machine (Lambda runs a stage's steps side by side). */
    static final int COLLECTION_STEPS_AT_ONCE = 4;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".cumulus",
            description = "Where the store's state, socket, keys and remote-program live (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(names = "--ssh-port", paramLabel = "N", defaultValue = "2222",
            description = "Port of the SSH server on 127.0.0.1 (0: any free port; default: ${DEFAULT-VALUE}).")
    int sshPort;

    @Option(names = "--dashboard-port", paramLabel = "N", defaultValue = "8222",
            description = "Port of the dashboard (and /metrics) on 127.0.0.1 (0: any free port; default: ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(names = "--store-dir", paramLabel = "DIR", defaultValue = "/nix/store", description = "The store directory (default: ${DEFAULT-VALUE}).")
    String storeDir;

    @Option(names = "--compression", paramLabel = "C", defaultValue = "zstd",
            description = "How NARs are compressed in the bucket: zstd, xz or none (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--runner-pool", paramLabel = "'NAME key=value…'",
            description = {"A pool of build-runners (repeatable; builds go to the first pool that has their system and "
                    + "features): systems=S1,S2 (the first is the pool's own), features=F1,F2, cores=N (NIX_BUILD_CORES; "
                    + "default: this machine's), runners=N (processes; 0: none; default 1), jobs=N (builds each runner "
                    + "runs at once; default: this machine's cores). Default: CUMULUS_RUNNER_POOLS, else one pool 'default' of "
                    + "this machine's systems with Nix's default features."})
    List<String> runnerPools = new ArrayList<>();

    @Option(names = "--runner-visibility", paramLabel = "SECONDS", defaultValue = "10",
            description = "How long a build taken by a runner that died stays hidden before another runner retries it "
                    + "(default: ${DEFAULT-VALUE}).")
    int runnerVisibility;

    @Override
    public Integer call() throws Exception {
        // A line per substitution job, as a runner logs a line per build.
        ProxyCommand.quietLibrariesBut(dev.cumulus.functions.Substitution.class.getName());
        Path state = Files.createDirectories(stateDir).toAbsolutePath();
        SecretKey signingKey = signingKey(state);
        Path authorizedKeys = authorizedKeys(state);
        StoreDir dir = new StoreDir(storeDir);
        List<AutoCloseable> running = new ArrayList<>();
        Path ready = state.resolve("ready");
        Files.deleteIfExists(ready);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.deleteIfExists(ready);
            } catch (Exception ignored) {
                // stopping anyway
            }
            for (AutoCloseable c : running.reversed()) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // stopping anyway
                }
            }
            stopped.countDown();
        }));

        // Uploads from untrusted callers and substituted paths need a signature by one of
        // CUMULUS_TRUSTED_PUBLIC_KEYS; CUMULUS_SUBSTITUTERS are the caches to substitute from; builds run
        // under CUMULUS_BUILD_TIMEOUT and CUMULUS_BUILD_MAX_SILENT_TIME.
        FunctionsConfig fromEnvironment = FunctionsConfig.fromEnvironment(System.getenv());
        RunnerPools pools = runnerPools.isEmpty() ? fromEnvironment.runnerPools()
                : RunnerPools.parse(String.join("\n", runnerPools), Runtime.getRuntime().availableProcessors());
        for (RunnerPool pool : pools.pools()) {
            pool.requireSettings(LOCAL_POOL_SETTINGS);
            runners(pool);
            jobs(pool);
        }
        LocalStack stack = LocalStack.start(Optional.of(state.resolve("aws")), CloudResources.DEFAULT_PREFIX, pools.names());
        running.add(stack);
        FunctionsConfig functionsConfig = fromEnvironment.withStoreDir(dir)
                .withResourcePrefix(stack.config().resourcePrefix()).withSigningKey(Optional.of(signingKey))
                .withNarCompression(NarCompression.parse(compression)).withRunnerPools(pools);
        // What the functions and the proxy do, counted here and served at the dashboard's /metrics.
        MetricsRegistry metrics = new MetricsRegistry();
        StoreFunctions storeFunctions = StoreFunctions.of(stack.clients(), functionsConfig, java.util.Map.of(), metrics);
        InProcessInvoker functions = new InProcessInvoker(storeFunctions);
        LocalLambdaEndpoint lambda = new LocalLambdaEndpoint(functions, stack.config().resourcePrefix());
        running.add(lambda);
        // Binary-cache uploads into the uploads bucket (nix copy --to http://…/cumulus-uploads) become store paths.
        String prefix = stack.config().resourcePrefix();
        String uploadsBucket = CloudResources.UPLOADS_BUCKET.physicalName(prefix);
        BinaryCacheIngest ingest = new BinaryCacheIngest(new S3Bucket(stack.clients().s3(), uploadsBucket),
                new S3Bucket(stack.clients().s3(), CloudResources.STORE_BUCKET.physicalName(prefix)), storeFunctions, dir,
                NarCompression.parse(compression));
        stack.onObjectCreated((bucket, key) -> {
            if (bucket.equals(uploadsBucket)) {
                ingestObject(ingest, key);
            }
        });
        Backends backends = CloudBackends.of(stack.clients(), functions, dir, NarCompression.parse(compression),
                Optional.of(signingKey));
        ProxyConfig config = new ProxyConfig(dir, backends.reportingTo(metrics), WireLimits.DEFAULT, metrics);

        UnixSocketServer socket = new UnixSocketServer(config, state.resolve("daemon.sock"), true);
        running.add(socket);
        SshServer ssh = new SshServer(config, "127.0.0.1", sshPort, authorizedKeys, state.resolve("ssh_host_key"));
        running.add(ssh);
        Path remoteProgram = RemoteProgram.write(state.resolve("remote-program"), socket.socket());
        LocalDashboard dashboard;
        try {
            dashboard = new LocalDashboard(Dashboard.of(stack.clients(), prefix, dir, Optional.of(metrics)), dashboardPort);
        } catch (java.net.BindException e) {
            throw new IOException("the dashboard's port " + dashboardPort + " is taken (another cumulus local?): "
                    + "give --dashboard-port N, or 0 for any free port", e);
        }
        running.add(dashboard);

        java.util.Map<String, String> stackEnv = new java.util.TreeMap<>(stack.config().toEnvironment());
        stackEnv.put("CUMULUS_STORE_DIR", dir.path());
        stackEnv.put("CUMULUS_NAR_COMPRESSION", compression);
        // The commands (cumulus gc, builds, …) call the functions here, as they call Lambda in AWS.
        stackEnv.put("CUMULUS_LAMBDA_ENDPOINT", lambda.uri().toString());
        // The functions' settings too: a runner that runs them in its own process must substitute,
        // trust and limit builds as this one does.
        for (String setting : FunctionsConfig.SETTINGS) {
            String value = System.getenv(setting);
            if (value != null && !value.isBlank()) {
                stackEnv.put(setting, value);
            }
        }
        stackEnv.put("CUMULUS_RUNNER_POOLS", pools.render());
        StackEnvironment.write(state, stackEnv);
        java.util.Map<String, String> runnerEnv = new java.util.TreeMap<>(stackEnv);
        runnerEnv.put("CUMULUS_SIGNING_KEY_FILE", state.resolve("signing-key").toString());
        // What event source mappings do in AWS: the queues' messages to their functions.
        StoreFunctionClient client = new StoreFunctionClient(functions);
        running.add(new QueueEventSource(stack.clients().sqs(),
                CloudResources.BUILD_REQUESTS_DEAD.physicalName(stack.config().resourcePrefix()),
                StoreFunction.FAIL_DEAD_LETTERED_BUILDS, client));
        running.add(new QueueEventSource(stack.clients().sqs(),
                CloudResources.SUBSTITUTION_JOBS.physicalName(stack.config().resourcePrefix()), StoreFunction.SUBSTITUTE, client));
        running.add(new QueueEventSource(stack.clients().sqs(),
                CloudResources.BUILD_SUBMISSIONS.physicalName(stack.config().resourcePrefix()), StoreFunction.SUBMIT_GRAPHS,
                client));
        // As deployed: one step an invocation, a stage's steps side by side.
        running.add(new QueueEventSource(stack.clients().sqs(),
                CloudResources.COLLECTION_STEPS.physicalName(stack.config().resourcePrefix()), StoreFunction.COLLECTION_STEPS,
                client, COLLECTION_STEPS_AT_ONCE, 1));
        for (RunnerPool pool : pools.pools()) {
            for (int i = 1; i <= runners(pool); i++) {
                // The default pool's runners keep their names of before pools: runner-1, runner-2, …
                String name = pool.name().equals(RunnerPools.DEFAULT_NAME) ? "runner-" + i : "runner-" + pool.name() + "-" + i;
                running.add(RunnerProcess.start(name, pool.name(), state, runnerEnv, runnerVisibility,
                        jobs(pool)));
            }
        }

        printUsage(System.out, state, socket.socket(), ssh.port(), remoteProgram, stack.bucketUrl().toString(),
                stack.uploadsUrl().toString(), lambda.uri(), dashboard.uri(), signingKey.publicKey(), pools);
        // Written whole, then renamed: whoever waits for the file must never read it half-written.
        Path writing = ready.resolveSibling("ready.writing");
        Files.writeString(writing, "unix://" + socket.socket() + "\nssh-port " + ssh.port() + "\n" + stack.bucketUrl() + "\n"
                + stack.uploadsUrl() + "\n" + dashboard.uri() + "\n");
        Files.move(writing, ready, StandardCopyOption.ATOMIC_MOVE);
        stopped.await();
        return 0;
    }

    /** What a runner pool of {@code cumulus local} may set besides its platform and cores. */
    static final List<String> LOCAL_POOL_SETTINGS = List.of("runners", "jobs");

    /** The pool's runner processes here: one unless set (each a JVM; its jobs share it). */
    static int runners(RunnerPool pool) {
        return pool.intSetting("runners", 0, 1);
    }

    /**
     * The builds each of the pool's runners runs at once: unless set, as many as this machine has
     * cores, so that one runner uses the machine (a deployed runner is a task of one job, and the
     * pool scales by tasks instead).
     */
    static int jobs(RunnerPool pool) {
        return pool.intSetting("jobs", 1, Runtime.getRuntime().availableProcessors());
    }

    /** The store's signing key, made on first start and kept. */
    private static SecretKey signingKey(Path state) throws Exception {
        Path file = state.resolve("signing-key");
        if (!Files.exists(file)) {
            SecretKey key = SecretKey.generate(SIGNING_KEY_NAME);
            ProxyCommand.writePrivate(file, key.render());
            Files.writeString(state.resolve("signing-key.pub"), key.publicKey().render() + "\n");
        }
        return SecretKey.parse(Files.readString(file).trim());
    }

    private static Path authorizedKeys(Path state) throws Exception {
        Path file = state.resolve("authorized_keys");
        if (!Files.exists(file)) {
            Files.writeString(file, "# Public keys that may use this Cumulus over SSH, one per line (OpenSSH format).\n"
                    + "# Put '" + SshServer.TRUSTED_OPTION + " ' before a key to make its holder a trusted user.\n");
        }
        return file;
    }

    /** Seconds between deliveries of an event whose path waits for a reference, as Lambda retries it. */
    static final int[] INGEST_RETRY_SECONDS = {1, 5, 25};

    /**
     * Hands a created object to the ingest, as the bucket's notification would, and delivers it
     * again later while its path waits for a reference (an upload whose events came out of order).
     */
    private static void ingestObject(BinaryCacheIngest ingest, String key) {
        try {
            if (!(ingest.objectCreated(key) instanceof BinaryCacheIngest.Outcome.Deferred)) {
                return;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread.ofVirtual().start(() -> {
            try {
                for (int seconds : INGEST_RETRY_SECONDS) {
                    Thread.sleep(seconds * 1000L);
                    if (!(ingest.objectCreated(key) instanceof BinaryCacheIngest.Outcome.Deferred)) {
                        return;
                    }
                }
                System.err.println("cumulus: " + key + " still refers to paths that are not valid; left unregistered");
            } catch (IOException | InterruptedException | RuntimeException e) {
                System.err.println("cumulus: ingesting " + key + ": " + e.getMessage());
            }
        });
    }

    private static void printUsage(PrintStream out, Path state, Path socket, int sshPort, Path remoteProgram, String bucketUrl,
                                   String uploadsUrl, java.net.URI functions, java.net.URI dashboard, PublicKey publicKey,
                                   RunnerPools pools) {
        String ssh = "'ssh-ng://localhost?remote-program=" + remoteProgram + "'";
        out.println("Cumulus is running; state in " + state);
        out.println("  unix socket   unix://" + socket);
        out.println("  ssh           ssh-ng://127.0.0.1 on port " + sshPort + " (keys: " + state.resolve("authorized_keys") + ")");
        out.println("  stdio         " + remoteProgram);
        out.println("  binary cache  " + bucketUrl + " (read-only)");
        out.println("  uploads       " + uploadsUrl + " (signed paths copied here become valid)");
        out.println("  functions     " + functions + " (Lambda's Invoke API; the cumulus commands call it)");
        out.println("  dashboard     " + dashboard);
        out.println("  signing key   " + publicKey.render());
        for (RunnerPool pool : pools.pools()) {
            out.println("  runner pool   " + pool.name() + ": " + pool.platform().describe() + ", " + pool.cores() + " cores a build, "
                    + runners(pool) + " runner(s) of " + jobs(pool) + " job(s)");
        }
        out.println();
        out.println("Use it from nix:");
        out.println("  nix copy --to unix://" + socket + " ./result");
        out.println("  nix copy --to " + ssh + " ./result");
        out.println("  nix path-info --store " + ssh + " -r ./result");
        out.println("  NIX_SSHOPTS='-p " + sshPort + "' nix store ping --store ssh-ng://127.0.0.1");
        out.println("  nix copy --from " + ssh + " --no-check-sigs /nix/store/…");
        out.println("  nix copy --from " + bucketUrl + " --trusted-public-keys " + publicKey.render() + " /nix/store/…");
        out.println("  nix copy --to " + uploadsUrl + " ./result   # signed by a key in CUMULUS_TRUSTED_PUBLIC_KEYS");
        out.println("Stop with Ctrl-C.");
        out.flush();
    }
}
