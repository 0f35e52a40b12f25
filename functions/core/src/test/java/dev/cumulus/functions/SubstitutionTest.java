package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static dev.cumulus.functions.TestStore.print;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.event.StoreVerification;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Substitution against binary caches served over HTTP from this test (files written as Nix writes
 * them, faults on demand) into the local stack: what is fetched, what is refused and why.
 */
@ExtendWith(LocalStackExtension.class)
class SubstitutionTest {
    static final SecretKey UPSTREAM = SecretKey.generate("upstream-1");
    static final SecretKey OTHER_UPSTREAM = SecretKey.generate("upstream-2");
    static final SecretKey STORE_KEY = SecretKey.generate("store-1");

    @TempDir
    Path tmp;

    LocalStack stack;
    UpstreamCache first;
    UpstreamCache second;
    StoreFunctions functions;
    StoreTables tables;
    S3Bucket bucket;
    SqsClient sqs;
    String queueUrl;

    /** A binary cache served from memory over HTTP; a key may answer with an error status or stall. */
    static final class UpstreamCache implements AutoCloseable {
        final HttpServer server;
        final Map<String, byte[]> files = new ConcurrentHashMap<>();
        final Map<String, Integer> failing = new ConcurrentHashMap<>();
        final Map<String, Boolean> stalling = new ConcurrentHashMap<>();
        final Map<String, Long> delaying = new ConcurrentHashMap<>();
        /** Keys whose answer trickles, a byte at a time, until their latch is opened. */
        final Map<String, CountDownLatch> holding = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();

        UpstreamCache(String storeDir, int priority) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                String key = exchange.getRequestURI().getPath().substring(1);
                gets.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                Integer status = failing.get(key);
                Long delay = delaying.get(key);
                if (delay != null) {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                byte[] body = files.get(key);
                if (status != null || body == null) {
                    exchange.sendResponseHeaders(status != null ? status : 404, -1);
                } else {
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        var held = holding.get(key);
                        if (held != null) {
                            int sent = 0;
                            // A byte often enough that the download never counts as stalled.
                            while (sent < body.length - 1 && !held.await(200, TimeUnit.MILLISECONDS)) {
                                out.write(body[sent++]);
                                out.flush();
                            }
                            out.write(body, sent, body.length - sent);
                        } else {
                            if (stalling.containsKey(key)) {
                                out.write(body, 0, body.length / 2);
                                out.flush();
                                Thread.sleep(5_000);
                            }
                            out.write(body);
                        }
                    } catch (InterruptedException | IOException e) {
                        // the client gave up
                    }
                }
                exchange.close();
            });
            server.start();
            files.put(BinaryCacheLayout.CACHE_INFO, ("StoreDir: " + storeDir + "\nWantMassQuery: 1\nPriority: " + priority + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        /** Where the narinfo of {@code path} says its NAR is. */
        String narUrl(PathInfo path) {
            return NarInfo.parse(STORE, new String(files.get(BinaryCacheLayout.narInfoKey(path.path())), StandardCharsets.UTF_8)).url();
        }

        int gets(String key) {
            return gets.getOrDefault(key, new AtomicInteger()).get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A path of one file holding {@code contents}, put into {@code cache} as Nix's binary cache writer would. */
    PathInfo add(UpstreamCache cache, String name, String contents, NarCompression compression, SecretKey key,
                 StorePath... references) throws IOException {
        return add(cache, TestStore.randomPath(name), contents, compression, key, references);
    }

    PathInfo add(UpstreamCache cache, StorePath path, String contents, NarCompression compression, SecretKey key,
                 StorePath... references) throws IOException {
        Path file = Files.createTempFile(tmp, "f", "");
        Files.writeString(file, contents);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        NarWriter.dump(file, nar);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream c = compression.compress(compressed)) {
            c.write(nar.toByteArray());
        }
        Hash fileHash = Hash.of(HashAlgorithm.SHA256, compressed.toByteArray());
        PathInfo info = PathInfo.of(path, Hash.of(HashAlgorithm.SHA256, nar.toByteArray()), nar.size(),
                Arrays.asList(references)).sign(STORE, key);
        String url = "nar/" + fileHash.encode(HashFormat.NIX32) + ".nar" + compression.extension();
        cache.files.put(url, compressed.toByteArray());
        cache.files.put(BinaryCacheLayout.narInfoKey(path), new NarInfo(info, url, compression.nixName(), Optional.of(fileHash),
                compressed.size(), "").render(STORE).getBytes(StandardCharsets.UTF_8));
        return info;
    }

    @BeforeEach
    void start(LocalStack stack) throws IOException {
        this.stack = stack;
        first = new UpstreamCache(STORE.path(), 40);
        second = new UpstreamCache(STORE.path(), 50);
        String prefix = stack.config().resourcePrefix();
        FunctionsConfig config = new FunctionsConfig(STORE, prefix, List.of(UPSTREAM.publicKey(), OTHER_UPSTREAM.publicKey()),
                // listed lowest priority first: the caches' own Priority orders them
                List.of(second.uri(), first.uri()))
                .withSigningKey(Optional.of(STORE_KEY));
        config = new FunctionsConfig(config.storeDir(), config.resourcePrefix(), config.trustedKeys(), config.substituters(),
                config.buildLimits(), config.gcGraceSeconds(), config.signingKey(), NarCompression.ZSTD, Duration.ofSeconds(1), config.runnerPools());
        tables = StoreTables.of(stack.clients().dynamoDb(), prefix, STORE);
        bucket = new S3Bucket(stack.clients().s3(), CloudResources.STORE_BUCKET.physicalName(prefix));
        sqs = stack.clients().sqs();
        String queue = CloudResources.SUBSTITUTION_JOBS.physicalName(prefix);
        queueUrl = sqs.getQueueUrl(g -> g.queueName(queue)).queueUrl();
        functions = new StoreFunctions(tables, bucket, config, StoreQueues.none().withSubstitutions(new SqsJobQueue<>(sqs, queue)),
                Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        first.close();
        second.close();
    }

    /** Submits, runs the queued job as the substitute function would, and answers its end. */
    SubstitutionState substitute(List<StorePath> paths, List<String> drvOutputs) {
        SubstitutionState submitted = functions.substitutePaths(new SubstitutePaths(paths.stream().map(TestStore::print).toList(),
                drvOutputs, null));
        if (submitted.finished()) {
            return submitted;
        }
        List<QueueMessage> batch = new ArrayList<>();
        for (int i = 0; i < 20 && batch.isEmpty(); i++) {
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(1).maxNumberOfMessages(10)).messages()) {
                batch.add(new QueueMessage(m.messageId(), m.body()));
                sqs.deleteMessage(d -> d.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
        assertTrue(functions.substitute(new QueueMessages(batch)).batchItemFailures().isEmpty());
        SubstitutionState done = functions.querySubstitution(new QuerySubstitution(submitted.id()));
        assertTrue(done.finished(), done.toString());
        return done;
    }

    boolean valid(StorePath p) {
        return functions.queryPathInfo(new PathQuery(print(p))).info() != null;
    }

    @Test
    void aClosureComesReferencesFirstInEveryCompressionWithItsNarinfoSigned() throws Exception {
        PathInfo lib = add(first, "lib", "a library", NarCompression.XZ, UPSTREAM);
        PathInfo tool = add(first, "tool", "a tool using " + print(lib.path()), NarCompression.BZIP2, UPSTREAM, lib.path());
        PathInfo app = add(first, "app", "an app", NarCompression.ZSTD, UPSTREAM, tool.path(), lib.path());
        PathInfo plain = add(first, "plain", "uncompressed", NarCompression.NONE, UPSTREAM);

        assertEquals(List.of(print(app.path()), print(plain.path())), functions.querySubstitutablePaths(
                new PathsQuery(List.of(print(app.path()), print(plain.path()), print(TestStore.randomPath("absent"))))).paths());
        var infos = functions.querySubstitutablePathInfos(new QuerySubstitutableInfos(List.of(print(app.path())), false)).infos();
        assertEquals(app.narSize(), infos.getFirst().narSize());
        assertEquals(java.util.Set.of(print(lib.path()), print(tool.path())), java.util.Set.copyOf(infos.getFirst().references()));
        // QueryMissing's question: everything fetching app would fetch, in one call.
        var closure = new QuerySubstitutableInfos(List.of(print(app.path())), true);
        assertEquals(java.util.Set.of(print(app.path()), print(tool.path()), print(lib.path())), java.util.Set.copyOf(
                functions.querySubstitutablePathInfos(closure).infos().stream().map(i -> i.path()).toList()));

        SubstitutionState done = substitute(List.of(app.path(), plain.path()), List.of());
        assertEquals(Map.of(), done.failed());
        assertEquals(4, done.fetched());
        for (PathInfo p : List.of(lib, tool, app, plain)) {
            assertTrue(valid(p.path()), p.path().baseName());
            NarInfo served = NarInfo.parse(STORE, new String(bucket.open(BinaryCacheLayout.narInfoKey(p.path())).orElseThrow()
                    .readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(p.narHash(), served.info().narHash());
            assertEquals("zstd", served.compression(), "stored in the store's own compression");
            assertEquals(1, served.info().countValidSignatures(STORE, List.of(UPSTREAM.publicKey())), "upstream's signature kept");
            assertEquals(1, served.info().countValidSignatures(STORE, List.of(STORE_KEY.publicKey())), "the store's added");
        }
        assertEquals(List.of(), functions.querySubstitutablePathInfos(closure).infos(), "nothing left to fetch");
        // Asking again costs no job: everything is valid.
        assertEquals("", functions.substitutePaths(new SubstitutePaths(List.of(print(app.path())), List.of(), null)).id());
    }

    /**
     * Issue 27's repair: a NAR damaged or removed behind the store's back is fetched again from
     * upstream, a forged narinfo written again from the store's record; what no cache has is reported.
     */
    @Test
    void verifyRepairsDamagedNarsFromUpstreamAndNarinfosFromTheStoresRecord() throws Exception {
        PathInfo damaged = add(first, "damaged", "damaged later", NarCompression.XZ, UPSTREAM);
        PathInfo removed = add(first, "removed", "removed later", NarCompression.XZ, UPSTREAM);
        PathInfo forged = add(first, "forged", "its narinfo is forged later", NarCompression.XZ, UPSTREAM);
        PathInfo gone = add(first, "gone", "gone from upstream too", NarCompression.XZ, UPSTREAM);
        List<PathInfo> ours = List.of(damaged, removed, forged, gone);
        assertEquals(Map.of(), substitute(ours.stream().map(PathInfo::path).toList(), List.of()).failed());
        assertEquals(List.of(), mentioning(functions.verifyStore(new VerifyStore(true, false)).violations(), ours));
        assertEquals(List.of(), mentioning(functions.verifyStore(new VerifyStore(false, false)).violations(), ours));

        bucket.put(narKey(damaged), "garbage".getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NAR_TYPE);
        bucket.delete(narKey(removed));
        bucket.put(BinaryCacheLayout.narInfoKey(forged.path()), new NarInfo(forged, "nar/elsewhere.nar", "none",
                Optional.empty(), 1, "").render(STORE).getBytes(StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        NarInfo upstreamGone = NarInfo.parse(STORE, new String(first.files.remove(BinaryCacheLayout.narInfoKey(gone.path())),
                StandardCharsets.UTF_8));
        first.files.remove(upstreamGone.url());
        bucket.delete(narKey(gone));

        // Without contents, against one listing of the bucket: the NAR files missing or of another size.
        List<String> listed = mentioning(functions.verifyStore(new VerifyStore(false, false)).violations(), ours);
        assertEquals(3, listed.size(), listed.toString());
        assertTrue(listed.stream().anyMatch(v -> v.contains(damaged.path().baseName()) && v.contains("has 7 bytes")), listed.toString());
        assertTrue(listed.stream().anyMatch(v -> v.contains(removed.path().baseName()) && v.contains("is missing")), listed.toString());

        List<String> found = mentioning(functions.verifyStore(new VerifyStore(true, false)).violations(), ours);
        assertEquals(4, found.size(), found.toString());
        // Spread over invocations, a scan segment each: the same answer, with and without contents.
        StoreFunctionClient client = new StoreFunctionClient(new InProcessInvoker(functions));
        assertEquals(found, mentioning(StoreVerification.run(client, true, false, 4).violations(), ours));
        assertEquals(listed, mentioning(StoreVerification.run(client, false, false, 3).violations(), ours));
        assertEquals(functions.verifyStore(new VerifyStore(false, false)).pathsChecked(),
                StoreVerification.run(client, false, false, 3).pathsChecked());
        assertTrue(found.stream().anyMatch(v -> v.contains(damaged.path().baseName()) && v.contains("has 7 bytes")), found.toString());
        assertTrue(found.stream().anyMatch(v -> v.contains(forged.path().baseName()) && v.contains("does not describe")),
                found.toString());

        // One path alone (BuildPaths in repair mode): only it is checked and repaired.
        var one = functions.verifyStore(new VerifyStore(true, true, List.of(STORE.print(damaged.path()))));
        assertEquals(1, one.pathsChecked());
        assertEquals(List.of(), one.violations());
        assertEquals(1, one.repaired().size(), one.toString());
        assertTrue(one.repaired().getFirst().contains(damaged.path().baseName()), one.toString());
        assertEquals(3, mentioning(functions.verifyStore(new VerifyStore(true, false)).violations(), ours).size());

        var repair = functions.verifyStore(new VerifyStore(true, true));
        List<String> repaired = mentioning(repair.repaired(), ours);
        assertEquals(2, repaired.size(), repaired.toString());
        List<String> left = mentioning(repair.violations(), ours);
        assertEquals(1, left.size(), left.toString());
        assertTrue(left.getFirst().contains(gone.path().baseName()) && left.getFirst().contains("cannot repair"), left.toString());

        assertEquals(List.of(left.getFirst().substring(0, left.getFirst().indexOf("; cannot repair"))),
                mentioning(functions.verifyStore(new VerifyStore(true, false)).violations(), ours), "the rest verifies");
        for (PathInfo p : List.of(damaged, removed, forged)) {
            assertTrue(valid(p.path()));
            NarInfo served = NarInfo.parse(STORE, new String(bucket.open(BinaryCacheLayout.narInfoKey(p.path())).orElseThrow()
                    .readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(narKey(p), served.url());
            assertEquals(p.narHash(), Hash.of(HashAlgorithm.SHA256, NarCompression.parse(served.compression())
                    .decompress(bucket.open(served.url()).orElseThrow())));
        }
    }

    private String narKey(PathInfo p) {
        return tables.paths().get(p.path()).orElseThrow().nar().orElseThrow().key();
    }

    private static List<String> mentioning(List<String> lines, List<PathInfo> paths) {
        return lines.stream().filter(l -> paths.stream().anyMatch(p -> l.contains(p.path().baseName()))).toList();
    }

    @Test
    void whatNoCacheOffersOrTheTrustedKeysRefuseIsNotFetchedAndNeitherIsWhatNeedsIt() throws Exception {
        PathInfo stranger = add(first, "stranger", "signed by a stranger", NarCompression.XZ, TestStore.STRANGER);
        PathInfo needsIt = add(first, "needs-it", "refers to the stranger's", NarCompression.XZ, UPSTREAM, stranger.path());
        StorePath absent = TestStore.randomPath("absent");
        PathInfo broken = add(first, "broken", "the cache answers 500 for it", NarCompression.XZ, UPSTREAM);
        first.failing.put(BinaryCacheLayout.narInfoKey(broken.path()), 500);

        SubstitutionState done = substitute(List.of(needsIt.path(), absent, broken.path()), List.of());
        String whyStranger = done.failed().get(print(needsIt.path()));
        assertTrue(whyStranger.contains("is not signed by any of the keys"), whyStranger);
        assertTrue(done.failed().get(print(absent)).contains("there is no substituter that can build it"), done.toString());
        assertTrue(done.failed().get(print(broken.path())).contains("HTTP 500"), done.toString());
        for (StorePath p : List.of(stranger.path(), needsIt.path(), absent, broken.path())) {
            assertFalse(valid(p));
        }
    }

    @Test
    void aNarThatDoesNotMatchItsNarinfoOrStallsLeavesNothingValidAndNothingInTheBucket() throws Exception {
        PathInfo corrupt = add(first, "corrupt", "the original", NarCompression.NONE, UPSTREAM);
        String url = first.narUrl(corrupt);
        byte[] nar = first.files.get(url);
        byte[] tampered = new String(nar, StandardCharsets.ISO_8859_1).replace("the original", "the tampered")
                .getBytes(StandardCharsets.ISO_8859_1);
        first.files.put(url, tampered);
        PathInfo slow = add(first, "slow", "a download that stalls half-way " + "x".repeat(10_000), NarCompression.NONE, UPSTREAM);
        first.stalling.put(first.narUrl(slow), true);

        SubstitutionState done = substitute(List.of(corrupt.path(), slow.path()), List.of());
        assertTrue(done.failed().get(print(corrupt.path())).contains("hash mismatch importing path"), done.toString());
        assertTrue(done.failed().get(print(slow.path())).contains("stalled"), done.toString());
        assertFalse(valid(corrupt.path()));
        assertFalse(valid(slow.path()));
        assertTrue(bucket.size(BinaryCacheLayout.narKey(corrupt.narHash(), NarCompression.ZSTD)).isEmpty());
        assertTrue(bucket.size(BinaryCacheLayout.narInfoKey(corrupt.path())).isEmpty());
    }

    /**
     * A file already in the store's compression (zstd) is stored as it came, under its cache's name,
     * checked but not compressed again; one whose narinfo misstates its file hash (Nix does not check
     * it) is compressed again under the store's own name rather than stored misnamed.
     */
    @Test
    void aFileInTheStoresCompressionIsStoredAsItCameUnlessItsNarinfoMisnamesIt() throws Exception {
        PathInfo asIs = add(first, "as-is", "kept as it came", NarCompression.ZSTD, UPSTREAM);
        PathInfo misnamed = add(first, "misnamed", "its narinfo misnames its file", NarCompression.ZSTD, UPSTREAM);
        String key = BinaryCacheLayout.narInfoKey(misnamed.path());
        NarInfo stated = NarInfo.parse(STORE, new String(first.files.get(key), StandardCharsets.UTF_8));
        first.files.put(key, new NarInfo(stated.info(), stated.url(), stated.compression(),
                Optional.of(Hash.of(HashAlgorithm.SHA256, "another file")), stated.fileSize(), "").render(STORE)
                .getBytes(StandardCharsets.UTF_8));

        SubstitutionState done = substitute(List.of(asIs.path(), misnamed.path()), List.of());
        assertEquals(Map.of(), done.failed());
        NarInfo kept = served(asIs);
        assertEquals(first.narUrl(asIs), kept.url(), "stored under its cache's name");
        assertArrayEquals(first.files.get(first.narUrl(asIs)), bucket.open(kept.url()).orElseThrow().readAllBytes());
        NarInfo again = served(misnamed);
        assertEquals(BinaryCacheLayout.narKey(misnamed.narHash(), NarCompression.ZSTD), again.url());
        assertEquals(misnamed.narHash(), Hash.of(HashAlgorithm.SHA256, NarCompression.ZSTD.decompress(
                bucket.open(again.url()).orElseThrow()).readAllBytes()));
    }

    private NarInfo served(PathInfo p) throws IOException {
        assertTrue(valid(p.path()), p.path().baseName());
        return NarInfo.parse(STORE, new String(bucket.open(BinaryCacheLayout.narInfoKey(p.path())).orElseThrow()
                .readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void cachesAreAskedInPriorityOrderAndOneForAnotherStoreNotAtAll() throws Exception {
        StorePath both = TestStore.randomPath("in-both");
        add(second, both, "from the second", NarCompression.XZ, OTHER_UPSTREAM);
        add(first, both, "from the first", NarCompression.XZ, UPSTREAM);
        assertEquals(Map.of(), substitute(List.of(both), List.of()).failed());
        PathInfo stored = tables.paths().get(both).orElseThrow().info();
        assertEquals(1, stored.countValidSignatures(STORE, List.of(UPSTREAM.publicKey())), "the first cache's (priority 40)");

        try (UpstreamCache elsewhere = new UpstreamCache("/gnu/store", 10)) {
            PathInfo p = add(elsewhere, "elsewhere", "for another store directory", NarCompression.XZ, UPSTREAM);
            Substituters only = Substituters.of(List.of(elsewhere.uri()), List.of(UPSTREAM.publicKey()), STORE, Duration.ofSeconds(5));
            assertTrue(only.lookup(p.path()).offer().isEmpty());
        }
    }

    /**
     * A closure registers as it arrives, references first: the far end of a chain is valid while a
     * path above it is still downloading (registering after the last fetch would wait for the slowest).
     */
    @Test
    void aChainRegistersFromItsFarEndWhileAPathAboveItStillDownloads() throws Exception {
        PathInfo bottom = add(first, "bottom", "the far end", NarCompression.ZSTD, UPSTREAM);
        PathInfo middle = add(first, "middle", "refers to " + print(bottom.path()), NarCompression.ZSTD, UPSTREAM, bottom.path());
        // Long enough (it does not compress) that trickling it lasts longer than the test waits.
        String noise = IntStream.range(0, 20).mapToObj(i -> UUID.randomUUID().toString())
                .collect(Collectors.joining());
        PathInfo top = add(first, "top", "refers to " + print(middle.path()) + noise, NarCompression.ZSTD, UPSTREAM,
                middle.path());
        var held = new CountDownLatch(1);
        first.holding.put(first.narUrl(top), held);
        var done = new AtomicReference<SubstitutionState>();
        try {
            Thread job = Thread.ofVirtual().start(() -> done.set(substitute(List.of(top.path()), List.of())));
            for (int i = 0; i < 300 && !(valid(bottom.path()) && valid(middle.path())); i++) {
                Thread.sleep(100);
            }
            assertTrue(valid(bottom.path()) && valid(middle.path()), "what the held path refers to registered meanwhile");
            assertFalse(valid(top.path()));
            assertTrue(job.isAlive());
            held.countDown();
            job.join();
        } finally {
            held.countDown();
        }
        assertEquals(Map.of(), done.get().failed());
        assertTrue(valid(top.path()));
    }

    @Test
    void aPathManyAskForIsFetchedOnce() throws Exception {
        PathInfo shared = add(first, "shared", "wanted by two jobs at once", NarCompression.XZ, UPSTREAM);
        String url = first.narUrl(shared);
        first.delaying.put(url, 700L);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ids.add(functions.substitutePaths(new SubstitutePaths(List.of(print(shared.path())), List.of(), null)).id());
        }
        List<QueueMessage> jobs = new ArrayList<>();
        for (int i = 0; i < 20 && jobs.size() < 2; i++) {
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(queueUrl).waitTimeSeconds(1).maxNumberOfMessages(10)).messages()) {
                jobs.add(new QueueMessage(m.messageId(), m.body()));
                sqs.deleteMessage(d -> d.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
            }
        }
        assertEquals(2, jobs.size());
        List<Thread> running = jobs.stream().map(j -> Thread.ofVirtual().start(() ->
                functions.substitute(new QueueMessages(List.of(j))))).toList();
        for (Thread t : running) {
            t.join();
        }
        for (String id : ids) {
            SubstitutionState done = functions.querySubstitution(new QuerySubstitution(id));
            assertTrue(done.finished() && done.failed().isEmpty(), done.toString());
        }
        assertTrue(valid(shared.path()));
        assertEquals(1, first.gets(url), "the NAR was downloaded once");
    }

    @Test
    void aFloatingOutputIsSubstitutedThroughItsUpstreamRealisation() throws Exception {
        PathInfo out = add(first, "ca-out", "a content-addressed output", NarCompression.XZ, UPSTREAM);
        DrvOutput id = new DrvOutput.ByHash(Hash.sha256(out.path().hashPart()), "out");
        Realisation r = Realisation.of(id, out.path()).sign(UPSTREAM);
        first.files.put(BinaryCacheLayout.realisationKey(id), BinaryCacheLayout.realisationFile(r));
        DrvOutput unsigned = new DrvOutput.ByHash(Hash.sha256("unsigned " + out.path().hashPart()), "out");
        first.files.put(BinaryCacheLayout.realisationKey(unsigned), BinaryCacheLayout.realisationFile(Realisation.of(unsigned,
                out.path())));

        SubstitutionState done = substitute(List.of(), List.of(id.render(STORE), unsigned.render(STORE)));
        assertEquals(List.of(unsigned.render(STORE)), List.copyOf(done.failed().keySet()));
        assertTrue(valid(out.path()));
        assertEquals(print(out.path()), STORE.print(Realisation.fromJson(functions.queryRealisation(
                new DrvOutputQuery(id.render(STORE))).realisation()).outPath()));
    }
}
