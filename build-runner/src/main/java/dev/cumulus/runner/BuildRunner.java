package dev.cumulus.runner;

import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.build.BuildReport.BuiltOutput;
import dev.cumulus.model.build.BuildRequest;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.BuildEvents.BuildClaim;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.InputNar;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * A build-runner: takes build requests off its pool's queues and builds them, up to {@code jobs} at
 * once, a client's build ahead of any batch build (see {@link #takeBuilds}). While it
 * builds it keeps the message hidden (extending its visibility), ships the log in chunks (the answer
 * says whether anyone still wants the build), and at the end reports through the complete-build
 * function, uploads the whole log as {@code log/<drv>} and deletes the message. If the runner dies
 * the message reappears and another runner takes it; a message that keeps failing goes to the
 * dead-letter queue. A failing builder is a result, not a fault: it is reported and the message goes.
 */
public final class BuildRunner implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BuildRunner.class.getName());
    private static final Duration LOG_EVERY = Duration.ofMillis(300);
    /** The most log lines kept for the uploaded log; Nix's tail shown on failure is far shorter. */
    private static final int MAX_LOG_LINES = 200_000;

    /**
     * How the runner runs: its name, where it works, the host paths builders see, its visibility
     * lease, and how many builds it runs at once (each job takes its own messages; much of a short
     * build is waiting on the functions and the bucket, which other jobs' builds can use).
     */
    public record Config(String name, Path workDir, List<String> sandboxPaths, Duration visibility,
                         NarCompression compression, Optional<SecretKey> signingKey, int jobs) {
        public Config {
            if (jobs < 1) {
                throw new IllegalArgumentException("a runner runs at least one build at once, not " + jobs);
            }
        }
    }

    private final SqsClient sqs;
    private final PoolQueues queues;
    private final ScaleInProtection protection;
    private final Bucket bucket;
    private final StoreFunctionClient functions;
    private final Config config;
    private final Sandbox sandbox;
    private final OutputCollector outputs;
    private final Map<String, InputStore> inputStores = new LinkedHashMap<>();
    /** Each build's lease renewals and log shipping: a thread per job, so one build's slow call delays no other's. */
    private final ScheduledExecutorService timers;
    private volatile boolean closed;

    /** The URLs of a pool's two build queues: builds clients wait for, and batch builds. */
    public record PoolQueues(String clientBuilds, String batchBuilds) {}

    public BuildRunner(SqsClient sqs, PoolQueues queues, Bucket bucket, StoreFunctionClient functions, Config config,
                       ScaleInProtection protection) {
        this.sqs = sqs;
        this.protection = protection;
        this.queues = queues;
        this.bucket = bucket;
        this.functions = functions;
        this.config = config;
        this.sandbox = new Sandbox(Sandbox.findBwrap(), config.sandboxPaths());
        this.outputs = new OutputCollector(bucket, config.compression(), config.signingKey());
        this.timers = Executors.newScheduledThreadPool(config.jobs(), Thread.ofVirtual().factory());
    }

    /** Builds until closed, {@link Config#jobs} at once. */
    public void run() {
        List<Thread> others = new ArrayList<>();
        for (int i = 1; i < config.jobs(); i++) {
            others.add(Thread.ofPlatform().name(config.name() + "-job-" + (i + 1)).start(this::takeBuilds));
        }
        takeBuilds();
        for (Thread t : others) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Each free job asks the client queue first and the batch queue only when that is empty, so a
     * saturated pool serves the builds clients wait for first. SQS cannot wait on two queues at
     * once: an idle job waits up to a second on the queue that last had work and asks the other
     * without waiting, so a steady stream of either kind is taken at once and the other kind waits
     * at most a second.
     */
    private void takeBuilds() {
        boolean batchLast = false;
        while (!closed) {
            try {
                if (pollOnce(queues.clientBuilds(), batchLast ? Duration.ZERO : IDLE_WAIT)) {
                    batchLast = false;
                } else if (pollOnce(queues.batchBuilds(), batchLast ? IDLE_WAIT : Duration.ZERO)) {
                    batchLast = true;
                }
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "receiving builds: " + e.getMessage(), e);
                    sleep(Duration.ofSeconds(2));
                }
            }
        }
    }

    private static final Duration IDLE_WAIT = Duration.ofSeconds(1);

    /** Takes at most one message of {@code queueUrl}, waiting up to {@code wait}, and builds it; false when none came. */
    private boolean pollOnce(String queueUrl, Duration wait) {
        List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(1)
                .waitTimeSeconds((int) wait.toSeconds()).visibilityTimeout((int) config.visibility().toSeconds())
                .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)).messages();
        if (messages.isEmpty()) {
            return false;
        }
        process(queueUrl, messages.getFirst());
        return true;
    }

    private void process(String queueUrl, Message message) {
        QueuedBuild queued;
        try {
            queued = EventJson.read(message.body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "dropping a message that is not a build request: " + e.getMessage());
            delete(queueUrl, message);
            return;
        }
        int attempt = Integer.parseInt(message.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1"));
        // The claim and the inputs do not depend on each other: the inputs (kept across builds) are
        // fetched while the claim is asked, and the builder starts only once the build is claimed.
        CompletableFuture<BuildClaim> claim = CompletableFuture.supplyAsync(() -> functions.call(StoreFunction.BUILD_STARTED,
                new BuildStarted(queued.id(), config.name(), attempt)), r -> Thread.ofVirtual().start(r));
        BuildLogShipper log = new BuildLogShipper(functions, queued.id(), attempt, MAX_LOG_LINES);
        long lease = Math.max(1, config.visibility().toMillis() / 3);
        var heartbeat = timers.scheduleAtFixedRate(() -> {
            extend(queueUrl, message);
            log.checkWanted();
        }, lease, lease, TimeUnit.MILLISECONDS);
        var shipping = timers.scheduleAtFixedRate(log::ship, LOG_EVERY.toMillis(), LOG_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        protection.acquire();
        try {
            Phases phases = new Phases();
            Optional<BuildReport> built = build(queued, attempt, log, phases, claim);
            if (built.isEmpty()) {
                // Ended meanwhile (cancelled, or finished by an earlier attempt): nothing to do.
                delete(queueUrl, message);
                return;
            }
            BuildReport report = built.get();
            shipping.cancel(false);
            log.ship();
            BuildState state = functions.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report, attempt, log.chunksSent()));
            phases.end("report");
            // The narinfos, the log and the message's deletion do not depend on each other: side by side.
            try (var tail = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> writes = new ArrayList<>();
                if (state.built()) {
                    writes.addAll(writeNarInfos(tail, queued.request(), state, report));
                    writes.addAll(writeRealisations(tail, queued.request(), state));
                }
                writes.add(tail.submit(() -> {
                    uploadLog(state.drvPath(), log);
                    return null;
                }));
                writes.add(tail.submit(() -> delete(queueUrl, message)));
                for (var w : writes) {
                    w.get();
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            phases.end("narinfos, log");
            LOG.log(System.Logger.Level.INFO, "build " + queued.id() + " attempt " + attempt + " " + state.state() + ": " + phases);
        } catch (CompletionException e) {
            LOG.log(System.Logger.Level.WARNING, "build " + queued.id() + " attempt " + attempt + " could not be claimed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (RuntimeException | IOException e) {
            // The runner's own fault (the bucket, the functions): leave the message to come back.
            LOG.log(System.Logger.Level.WARNING, "build " + queued.id() + " attempt " + attempt + " could not finish: "
                    + e.getMessage(), e);
        } finally {
            shipping.cancel(false);
            heartbeat.cancel(false);
            protection.release();
        }
    }

    /** Where a build's time went, for the runner's log. */
    private static final class Phases {
        private final StringBuilder text = new StringBuilder();
        private long start = System.nanoTime();

        void end(String phase) {
            long now = System.nanoTime();
            text.append(text.isEmpty() ? "" : ", ").append(phase).append(' ').append((now - start) / 1_000_000).append(" ms");
            start = now;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /** The build's report; empty when the claim says the build is not to run. */
    private Optional<BuildReport> build(QueuedBuild queued, int attempt, BuildLogShipper log, Phases phases,
                                        CompletableFuture<BuildClaim> claim) throws IOException {
        BuildRequest request = queued.request();
        long start = System.currentTimeMillis() / 1000;
        Path top = config.workDir().resolve("builds").resolve(queued.id() + "-" + attempt);
        InputStore.delete(top);
        try {
            StoreDir storeDir = new StoreDir(request.storeDir());
            InputStore inputs = inputStore(storeDir);
            Map<String, Path> present = fetchInputs(inputs, storeDir, request, queued.inputNars());
            phases.end("inputs");
            if (!claim.join().run()) {
                return Optional.empty();
            }
            Path storeRoot = Files.createDirectories(top.resolve("store"));
            Path buildDir = Files.createDirectories(top.resolve("build"));
            Path etc = top.resolve("etc");
            Sandbox.writeEtc(etc, request.workingDir());
            List<String> command = sandbox.command(request.storeDir(), storeRoot, present, request.workingDir(), buildDir, etc,
                    request.constraints().network(), request.command());
            try {
                BuilderProcess.run(command, request.environment(), request.constraints().timeoutSeconds(),
                        request.constraints().maxSilentSeconds(), log::line, log::wanted);
                phases.end("builder");
                List<BuiltOutput> built = outputs.collect(request, storeRoot, Files.createDirectories(top.resolve("nars")));
                phases.end("outputs");
                return Optional.of(new BuildReport(queued.id(), BuildStatus.BUILT.jsonName(), null, built, start, now()));
            } catch (BuildFailure f) {
                log.line("cumulus: " + f.getMessage());
                return Optional.of(new BuildReport(queued.id(), f.status().jsonName(), f.getMessage(), List.of(), start, now()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        } finally {
            InputStore.delete(top);
        }
    }

    /** Every input present on this machine, those not yet kept fetched side by side. */
    private static Map<String, Path> fetchInputs(InputStore inputs, StoreDir storeDir, BuildRequest request,
                                                 Map<String, InputNar> known) throws IOException {
        Map<String, Future<Path>> fetches = new LinkedHashMap<>();
        try (var fetchers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String input : request.inputs()) {
                fetches.put(input, fetchers.submit(() -> inputs.materialise(storeDir.parse(input),
                        Optional.ofNullable(known.get(input)))));
            }
            Map<String, Path> present = new LinkedHashMap<>();
            for (Map.Entry<String, Future<Path>> f : fetches.entrySet()) {
                present.put(f.getKey(), f.getValue().get());
            }
            return present;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching inputs", e);
        }
    }

    private synchronized InputStore inputStore(StoreDir storeDir) throws IOException {
        InputStore s = inputStores.get(storeDir.path());
        if (s == null) {
            s = new InputStore(config.workDir().resolve("inputs").resolve(Integer.toHexString(storeDir.path().hashCode())),
                    bucket, functions, storeDir);
            inputStores.put(storeDir.path(), s);
        }
        return s;
    }

    /** The built outputs' narinfos, so that the bucket serves them as a binary cache: a write each on {@code writers}. */
    private List<Future<?>> writeNarInfos(ExecutorService writers, BuildRequest request,
                                                              BuildState state, BuildReport report) {
        StoreDir storeDir = new StoreDir(request.storeDir());
        List<Future<?>> writes = new ArrayList<>();
        for (BuiltOutput o : report.outputs()) {
            PathInfo info = new PathInfo(storeDir.parse(o.path()), Optional.of(storeDir.parse(state.drvPath())),
                    Hash.parseAny(o.narHash()), o.narSize(), new TreeSet<>(o.references().stream().map(storeDir::parse).toList()),
                    0, false, o.signatures().stream().map(Signature::parse).toList(),
                    Optional.ofNullable(o.ca()).map(ContentAddress::parse));
            NarInfo narInfo = o.nar().narInfo(info);
            writes.add(writers.submit(() -> {
                BinaryCacheLayout.putNarInfo(bucket, storeDir, narInfo);
                return null;
            }));
        }
        return writes;
    }

    /**
     * The content-addressed outputs' realisations, under both ids (as complete-build registered
     * them), signed by the store's key: a Nix using the bucket as a substituter finds the outputs.
     */
    private List<Future<?>> writeRealisations(ExecutorService writers, BuildRequest request, BuildState state) {
        StoreDir storeDir = new StoreDir(request.storeDir());
        StorePath drvPath = storeDir.parse(state.drvPath());
        List<Future<?>> writes = new ArrayList<>();
        state.outputHashes().forEach((name, hash) -> {
            String path = state.outputs().get(name);
            if (path == null) {
                return;
            }
            for (DrvOutput id : List.of(new DrvOutput.ByHash(Hash.parseAny(hash), name), new DrvOutput.ByPath(drvPath, name))) {
                Realisation plain = Realisation.of(id, storeDir.parse(path));
                Realisation realisation = config.signingKey().map(plain::sign).orElse(plain);
                writes.add(writers.submit(() -> {
                    bucket.put(BinaryCacheLayout.realisationKey(id), BinaryCacheLayout.realisationFile(realisation),
                            BinaryCacheLayout.REALISATION_TYPE);
                    return null;
                }));
            }
        });
        return writes;
    }

    private void uploadLog(String drvPath, BuildLogShipper log) throws IOException {
        StorePath drv = StorePath.parseBaseName(drvPath.substring(drvPath.lastIndexOf('/') + 1));
        bucket.put(BinaryCacheLayout.logKey(drv), String.join("\n", log.all()).concat("\n").getBytes(StandardCharsets.UTF_8),
                "text/plain; charset=utf-8");
    }

    private void extend(String queueUrl, Message message) {
        try {
            sqs.changeMessageVisibility(c -> c.queueUrl(queueUrl).receiptHandle(message.receiptHandle())
                    .visibilityTimeout((int) config.visibility().toSeconds()));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "extending a build's lease: " + e.getMessage());
        }
    }

    private void delete(String queueUrl, Message message) {
        sqs.deleteMessage(d -> d.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        timers.shutdownNow();
        protection.close();
    }
}
