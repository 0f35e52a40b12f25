package dev.cumulus.functions.bench;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.functions.dashboard.Dashboard;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.event.StoreVerification;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simulated large store: {@code N} paths (default 100,000) generated straight into a fresh local
 * stack's tables and bucket (registered through the register-paths function, each with its NAR in
 * the bucket; no Nix client), in chains of 100, half of them reachable from one named root and half
 * dead. Then one collection (its steps taken from the collection-steps queue as an event source
 * mapping takes them, one an invocation, four at once) and one verification (spread over
 * invocations, a scan segment each) through the local stack's invoker, which enforces the
 * functions' Lambda timeouts. Prints {@code name value} lines (for the collection, each stage's
 * steps and the longest of them) that {@code bench/gc-large} turns into its table and projections.
 */
public final class LargeStoreCollection {
    static final StoreDir STORE = StoreDir.DEFAULT;
    static final int CHAIN = 100;

    public static void main(String[] args) throws Exception {
        int paths = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String prefix = "large-";
        try (LocalStack stack = LocalStack.start(Optional.empty(), prefix)) {
            FunctionsConfig config = new FunctionsConfig(STORE, prefix, List.of(), List.of());
            AwsClients clients = new AwsClients(stack.config());
            CountingInvoker invoker = new CountingInvoker(new InProcessInvoker(StoreFunctions.of(clients, config)));
            StoreFunctionClient client = new StoreFunctionClient(invoker);
            S3Bucket bucket = new S3Bucket(clients.s3(), CloudResources.STORE_BUCKET.physicalName(prefix));

            long generating = System.nanoTime();
            List<StorePath> liveTops = generate(client, bucket, paths / 2, "live");
            generate(client, bucket, paths - paths / 2, "dead");
            // One root keeps the live half: a path that refers to every live chain's top.
            Path file = Files.createTempFile("large-store", "");
            Nar nar = Nar.of(file, "large root");
            Files.delete(file);
            bucket.put(nar.key(), nar.bytes(), BinaryCacheLayout.NAR_TYPE);
            PathInfo root = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("large root"), "large-root"),
                    nar.hash(), nar.bytes().length, liveTops);
            nar.putNarInfo(bucket, root);
            client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false, List.of(nar.newPath(root))));
            client.call(StoreFunction.ADD_ROOT, new AddRoot("large", STORE.print(root.path())));
            System.out.printf(Locale.ROOT, "generated %d %.1f%n", paths + 1, seconds(generating));

            // The dashboard's pages on this store, each loaded once, cold (no page scans a table).
            Dashboard dashboard = Dashboard.of(clients, prefix, STORE, Optional.empty());
            Map<String, String> pages = new LinkedHashMap<>();
            pages.put("builds", "/");
            pages.put("store", "/store");
            pages.put("path", "/paths/" + root.path().hashPart());
            pages.put("gc", "/gc");
            for (var page : pages.entrySet()) {
                long loading = System.nanoTime();
                Dashboard.Response r = dashboard.handle(new Dashboard.Request("GET", page.getValue(), Map.of()));
                if (r.status() != 200) {
                    throw new IllegalStateException(page.getValue() + " answered " + r.status());
                }
                System.out.printf(Locale.ROOT, "dashboard-%s %.3f%n", page.getKey(), seconds(loading));
            }

            invoker.reset();
            long collecting = System.nanoTime();
            GarbageCollected collected;
            try (StepsEventSource steps = new StepsEventSource(clients.sqs(),
                    CloudResources.COLLECTION_STEPS.physicalName(prefix), client)) {
                collected = GarbageCollection.run(client, CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1),
                        true, state -> { });
                System.out.printf(Locale.ROOT, "collection-seconds %.1f%n", seconds(collecting));
                steps.longest.forEach((stage, nanos) -> System.out.printf(Locale.ROOT, "collection-stage-%s %d %.1f%n",
                        stage, steps.counts.get(stage).get(), nanos.get() / 1e9));
            }
            System.out.printf(Locale.ROOT, "collection-deleted %d%n", collected.paths().size());
            System.out.printf(Locale.ROOT, "collection-invocations %d%n", invoker.calls.get());
            System.out.printf(Locale.ROOT, "collection-longest-seconds %.1f%n", invoker.longestNanos.get() / 1e9);

            invoker.reset();
            long verifying = System.nanoTime();
            StoreVerified verified = StoreVerification.run(client, false, false, StoreVerification.DEFAULT_SEGMENTS);
            System.out.printf(Locale.ROOT, "verify-seconds %.1f%n", seconds(verifying));
            System.out.printf(Locale.ROOT, "verify-segments %d%n", StoreVerification.DEFAULT_SEGMENTS);
            System.out.printf(Locale.ROOT, "verify-checked %d%n", verified.pathsChecked());
            System.out.printf(Locale.ROOT, "verify-violations %d%n", verified.violations().size());
            verified.violations().stream().limit(3).forEach(v -> System.out.println("violation " + v));
            System.out.printf(Locale.ROOT, "verify-invocations %d%n", invoker.calls.get());
            System.out.printf(Locale.ROOT, "verify-longest-seconds %.1f%n", invoker.longestNanos.get() / 1e9);

            // Verification with --check-contents: every NAR read and hashed, in the same segments.
            invoker.reset();
            long hashing = System.nanoTime();
            StoreVerified hashed = StoreVerification.run(client, true, false, StoreVerification.DEFAULT_SEGMENTS);
            System.out.printf(Locale.ROOT, "contents-seconds %.1f%n", seconds(hashing));
            System.out.printf(Locale.ROOT, "contents-checked %d%n", hashed.pathsChecked());
            System.out.printf(Locale.ROOT, "contents-violations %d%n", hashed.violations().size());
            hashed.violations().stream().limit(3).forEach(v -> System.out.println("contents-violation " + v));
            System.out.printf(Locale.ROOT, "contents-longest-seconds %.1f%n", invoker.longestNanos.get() / 1e9);

            // Both list the bucket once (the collection all of it, the verification its NAR files):
            // how long one listing of what is left takes here.
            long listing = System.nanoTime();
            AtomicLong objects = new AtomicLong();
            bucket.list("", o -> objects.incrementAndGet());
            System.out.printf(Locale.ROOT, "listing %d %.1f%n", objects.get(), seconds(listing));
        }
        System.exit(0); // the emulators leave non-daemon threads behind
    }

    /**
     * What the collection-steps queue's event source mapping does in AWS (with a batch size of one):
     * each step to an invocation of the collection-steps function, {@value #STEPS_AT_ONCE} at once.
     */
    private static final class StepsEventSource implements AutoCloseable {
        static final int STEPS_AT_ONCE = 4;
        private final List<Thread> pollers = new ArrayList<>();
        private volatile boolean closed;
        /** By stage (delete waves as one), the steps run and the longest of them. */
        final Map<String, AtomicLong> counts = new java.util.concurrent.ConcurrentSkipListMap<>();
        final Map<String, AtomicLong> longest = new java.util.concurrent.ConcurrentSkipListMap<>();

        StepsEventSource(software.amazon.awssdk.services.sqs.SqsClient sqs, String queue, StoreFunctionClient client) {
            String url = sqs.getQueueUrl(g -> g.queueName(queue)).queueUrl();
            for (int i = 0; i < STEPS_AT_ONCE; i++) {
                pollers.add(Thread.ofVirtual().start(() -> {
                    while (!closed) {
                        for (var m : sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(1).maxNumberOfMessages(1)).messages()) {
                            long started = System.nanoTime();
                            var handled = client.call(StoreFunction.COLLECTION_STEPS, new QueueMessages(
                                    List.of(new QueueMessage(m.messageId(), m.body()))));
                            String stage = dev.cumulus.model.event.EventJson.read(m.body().getBytes(
                                    java.nio.charset.StandardCharsets.UTF_8), CollectionStep.class).stage();
                            counts.computeIfAbsent(stage, k -> new AtomicLong()).incrementAndGet();
                            longest.computeIfAbsent(stage, k -> new AtomicLong()).accumulateAndGet(System.nanoTime() - started,
                                    Math::max);
                            if (handled.batchItemFailures().isEmpty()) {
                                sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
                            }
                        }
                    }
                }));
            }
        }

        @Override
        public void close() {
            closed = true;
            for (Thread t : pollers) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** {@code count} paths in chains of {@value #CHAIN}, each with its own NAR in the bucket; the chains' tops. */
    private static List<StorePath> generate(StoreFunctionClient client, S3Bucket bucket, int count, String kind)
            throws Exception {
        Path file = Files.createTempFile("large-store", "");
        List<StorePath> tops = new ArrayList<>();
        try (ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<NewPath> batch = new ArrayList<>();
            List<Future<?>> pending = new ArrayList<>();
            StorePath previous = null;
            for (int i = 0; i < count; i++) {
                Nar nar = Nar.of(file, kind + " " + i);
                pending.add(uploads.submit(() -> {
                    bucket.put(nar.key(), nar.bytes(), BinaryCacheLayout.NAR_TYPE);
                    return null;
                }));
                boolean chainStarts = i % CHAIN == 0;
                PathInfo info = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256(kind + " " + i), kind + "-" + i),
                        nar.hash(), nar.bytes().length, chainStarts ? List.of() : List.of(previous));
                pending.add(uploads.submit(() -> {
                    nar.putNarInfo(bucket, info);
                    return null;
                }));
                batch.add(nar.newPath(info));
                previous = info.path();
                if (i % CHAIN == CHAIN - 1 || i == count - 1) {
                    tops.add(info.path());
                }
                if (batch.size() == RegisterPaths.MAX_PATHS || i == count - 1) {
                    for (Future<?> upload : pending) {
                        upload.get(); // a path is registered only once its NAR is whole in the bucket
                    }
                    pending.clear();
                    client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false, List.copyOf(batch)));
                    batch.clear();
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return tops;
    }

    /** The NAR of one small file holding {@code text}, and its key in the bucket. */
    private record Nar(byte[] bytes, Hash hash, String key) {
        static Nar of(Path file, String text) throws java.io.IOException {
            Files.writeString(file, text);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            NarWriter.dump(file, out);
            byte[] bytes = out.toByteArray();
            Hash hash = Hash.of(HashAlgorithm.SHA256, bytes);
            return new Nar(bytes, hash, BinaryCacheLayout.narKey(hash, NarCompression.NONE));
        }

        /** The path's narinfo, as the proxy writes it: the store is a binary cache, and verify checks it. */
        void putNarInfo(S3Bucket bucket, PathInfo info) throws java.io.IOException {
            bucket.put(BinaryCacheLayout.narInfoKey(info.path()), new NarInfo(info, key, NarCompression.NONE.nixName(),
                    Optional.of(hash), bytes.length, "").render(STORE).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    BinaryCacheLayout.NARINFO_TYPE);
        }

        NewPath newPath(PathInfo info) {
            return new NewPath(PathInfoEvent.of(STORE, info),
                    new NarObject(key, NarCompression.NONE.nixName(), hash.toString(), bytes.length), Map.of(), List.of());
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Counts the invocations through it and keeps the longest. */
    private static final class CountingInvoker implements FunctionInvoker {
        final FunctionInvoker inner;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong longestNanos = new AtomicLong();

        CountingInvoker(FunctionInvoker inner) {
            this.inner = inner;
        }

        void reset() {
            calls.set(0);
            longestNanos.set(0);
        }

        @Override
        public byte[] invoke(String functionName, byte[] request) {
            long start = System.nanoTime();
            try {
                return inner.invoke(functionName, request);
            } finally {
                calls.incrementAndGet();
                longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
            }
        }
    }
}
