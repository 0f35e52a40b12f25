package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.proxy.SshServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The end-to-end suite: each real {@code nix} client ({@link NixClient}: Debian's Nix 2.8, 2.26 and
 * 2.34) against its own {@code cumulus local}, started as a user starts it (its own process, a state
 * directory, Ctrl-C to stop). Closures are built from {@code e2e/closure.nix} in private stores and
 * copied over every transport, back out, and through the bucket as a binary cache.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("clients")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalEndToEndTest {
    static final long BIG = 256L * 1024 * 1024;
    static final ObjectMapper JSON = new ObjectMapper();
    static final int RUNNER_VISIBILITY = 4;

    /** Static: JUnit fills it in before a per-class {@code @BeforeAll}; each client works in its own directory under it. */
    @TempDir
    static Path clientsTmp;

    @Parameter
    NixClient client;

    Path tmp;
    Path state;
    Path expression;
    Process cumulus;
    int sshPort;
    String bucketUrl;
    String uploadsUrl;
    String dashboardUrl;
    /** The store bucket at Cumulus's own S3 endpoint, which alone may write it: to damage it behind the store's back. */
    String ownBucketUrl;
    String socketStore;
    String stdioStore;
    Path clientKey;
    Path signingKey;
    Path upstreamKey;
    Path strangerKey;
    BinaryCacheServer caches;
    String src;

    static List<NixClient> clients() {
        return NixClient.selected();
    }

    @BeforeParameterizedClassInvocation
    void startCumulusAndBuildTheClosure() throws Exception {
        if (System.getenv("CI") != null) {
            assertTrue(client.installed(), client.missing());
        }
        assumeTrue(client.installed(), client.missing());
        tmp = Files.createDirectories(clientsTmp.resolve("nix-" + client.name()));
        state = tmp.resolve("state");
        Files.createDirectories(state);
        expression = tmp.resolve("closure.nix");
        try (InputStream in = getClass().getResourceAsStream("/e2e/closure.nix")) {
            Files.write(expression, in.readAllBytes());
        }
        // A chroot's Nix builds only in its own /nix (bound to a directory of this test): in a
        // store with another root, its sandbox has no /nix/store.
        src = client.root().isPresent() ? "local" : "local?root=" + tmp.resolve("src");
        clientKey = tmp.resolve("client-key");
        assertEquals(0, CliTest.run(null, new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "e2e",
                "-f", clientKey.toString())).exit());
        Files.writeString(state.resolve("authorized_keys"), Files.readString(Path.of(clientKey + ".pub")));
        signingKey = tmp.resolve("e2e-signing-key");
        Files.writeString(signingKey, nixOk("nix", "key", "generate-secret", "--key-name", "e2e-1").trim());
        String publicKey = publicKey(signingKey);
        // The upstream binary caches Cumulus substitutes from (issue 20): written by Nix, served here.
        upstreamKey = tmp.resolve("upstream-signing-key");
        Files.writeString(upstreamKey, nixOk("nix", "key", "generate-secret", "--key-name", "upstream-1").trim());
        strangerKey = tmp.resolve("stranger-signing-key");
        Files.writeString(strangerKey, nixOk("nix", "key", "generate-secret", "--key-name", "stranger-1").trim());
        caches = new BinaryCacheServer(Files.createDirectories(tmp.resolve("caches")));

        cumulus = startLocal(state, "cumulus", List.of(), Map.of(
                "CUMULUS_TRUSTED_PUBLIC_KEYS", publicKey + " " + publicKey(upstreamKey),
                "CUMULUS_SUBSTITUTERS", String.join(" ", caches.url("xz"), caches.url("zstd"), caches.url("stranger")),
                "CUMULUS_STALLED_DOWNLOAD_TIMEOUT", "10"));
        List<String> lines = Files.readAllLines(state.resolve("ready"));
        socketStore = lines.get(0);
        sshPort = Integer.parseInt(lines.get(1).replace("ssh-port ", ""));
        bucketUrl = lines.get(2);
        uploadsUrl = lines.get(3);
        dashboardUrl = lines.get(4);
        String ownS3 = Files.readAllLines(state.resolve("stack.env")).stream().filter(l -> l.startsWith("CUMULUS_S3_ENDPOINT="))
                .findFirst().orElseThrow().substring("CUMULUS_S3_ENDPOINT=".length());
        ownBucketUrl = ownS3 + bucketUrl.substring(bucketUrl.lastIndexOf('/'));
        stdioStore = "ssh-ng://localhost?remote-program=" + state.resolve("remote-program");
        assertTrue(read(tmp.resolve("cumulus.out")).contains("nix copy --to"), read(tmp.resolve("cumulus.out")));
        // By default one runner that uses the machine: as many builds at once as it has cores.
        assertTrue(read(tmp.resolve("cumulus.out")).contains("1 runner(s) of " + Runtime.getRuntime().availableProcessors()
                + " job(s)"), read(tmp.resolve("cumulus.out")));
    }

    /**
     * Starts {@code cumulus local} over {@code stateDir} with {@code args} and {@code env}, its output in
     * {@code NAME.out} and {@code NAME.err}, and waits until it serves.
     */
    private Process startLocal(Path stateDir, String name, List<String> args, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "local",
                "--state-dir", stateDir.toString(), "--ssh-port", "0", "--dashboard-port", "0",
                // A short lease, so that a killed runner's build comes back within seconds.
                "--runner-visibility", Integer.toString(RUNNER_VISIBILITY)));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectOutput(tmp.resolve(name + ".out").toFile());
        pb.redirectError(tmp.resolve(name + ".err").toFile());
        Process started = pb.start();
        Path ready = stateDir.resolve("ready");
        for (int i = 0; i < 600 && !Files.exists(ready); i++) {
            assertTrue(started.isAlive(), () -> "cumulus local exited: " + read(tmp.resolve(name + ".err")));
            Thread.sleep(100);
        }
        assertTrue(Files.exists(ready), () -> "cumulus local did not start: " + read(tmp.resolve(name + ".err")));
        return started;
    }

    @AfterParameterizedClassInvocation
    void ctrlCStopsCleanly() throws Exception {
        caches.close();
        if (sqs != null) {
            sqs.close();
            sqs = null; // the next client's cumulus local has its own endpoint
        }
        cumulus.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hook runs
        assertTrue(cumulus.waitFor(30, TimeUnit.SECONDS), "cumulus local did not stop");
        assertFalse(Files.exists(state.resolve("ready")));
        assertFalse(Files.exists(state.resolve("daemon.sock")));
    }

    @Test
    @Order(1)
    void copyAClosureOverTheUnixSocketWithRealisations() throws Exception {
        String top = build("", BIG, "top");
        nixOk("nix", "copy", "--from", src, "--to", socketStore, "-f", expression.toString(), "top", "--arg", "big", Long.toString(BIG));

        Map<String, JsonNode> local = pathInfo(src, top);
        assertTrue(local.size() >= 30, "the closure has tens of paths: " + local.keySet());
        assertEquals(local, pathInfo(socketStore, top));
        assertEquals(local, pathInfo(stdioStore, top));
        assertTrue(local.values().stream().anyMatch(i -> i.get("narSize").asLong() > BIG), "a file of 256 MiB");
        assertTrue(local.values().stream().anyMatch(i -> i.get("ca").asText().startsWith("text:")), "a text path");
        assertTrue(local.values().stream().anyMatch(i -> i.get("ca").asText().startsWith("fixed:r:")), "a CA output");

        String leaf = local.keySet().stream().filter(p -> p.endsWith("-leaf")).findFirst().orElseThrow();
        String referrers = nixOk("nix-store", "--store", stdioStore, "-q", "--referrers", leaf);
        assertTrue(referrers.contains("-chain-0"), referrers);

        // The realisations of the content-addressed outputs came along.
        String[] info = {"nix", "realisation", "info", "-f", expression.toString(), "top", "--arg", "big", Long.toString(BIG),
                "--store"};
        String realisations = nixOk(concat(info, stdioStore));
        assertTrue(realisations.startsWith("sha256:") && realisations.contains(top), realisations);
        assertEquals(nixOk(concat(info, src)), realisations);
        String ca = local.keySet().stream().filter(p -> p.endsWith("-ca-output")).findFirst().orElseThrow();
        assertEquals(200, http("/" + ca.substring(11, 43) + ".narinfo").statusCode());
    }

    @Test
    @Order(2)
    void copyOverSshNgWithTheStdioStandIn() throws Exception {
        String top = buildSalted("-stdio", 110); // more paths than one registration takes
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, top);
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));
    }

    @Test
    @Order(3)
    void copyOverRealSshAsAnUntrustedUserNeedsSignatures() throws Exception {
        String top = buildSalted("-ssh", 5);
        String ssh = "ssh-ng://127.0.0.1?ssh-key=" + clientKey;
        nixOk(true, "nix", "copy", "--from", src, "--to", ssh, top);
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));

        // An input-addressed path nobody trusted signed is refused, and nothing is registered.
        String unsigned = build("-ssh", 1024, "unsigned");
        Run refused = run(true, null, "nix", "copy", "--from", src, "--to", ssh, unsigned);
        assertNotEquals(0, refused.exit());
        assertTrue(refused.stderr().contains("lacks a signature by a trusted key"),
                refused.stderr());
        assertInvalid(unsigned);
    }

    @Test
    @Order(4)
    void copyBackIntoAnEmptyChrootStoreAndVerify() throws Exception {
        String top = build("", BIG, "top");
        String dst = "local?root=" + tmp.resolve("dst");
        nixOk("nix", "copy", "--from", stdioStore, "--to", dst, "--no-check-sigs", top);
        nixOk("nix-store", "--store", dst, "--verify", "--check-contents");
        assertEquals(pathInfo(src, top), pathInfo(dst, top));
    }

    @Test
    @Order(5)
    void copyFromTheBucketAsABinaryCache() throws Exception {
        String top = build("", BIG, "top");
        String dst = "local?root=" + tmp.resolve("from-cache");
        String storeKey = Files.readString(state.resolve("signing-key.pub")).trim();
        nixOk("nix", "copy", "--from", bucketUrl, "--to", dst, "--option", "trusted-public-keys", storeKey, top);
        nixOk("nix-store", "--store", dst, "--verify", "--check-contents");
        assertEquals(pathInfo(src, top), pathInfo(dst, top));
    }

    @Test
    @Order(6)
    void aNarWhoseHashDoesNotMatchLeavesNothing() throws Exception {
        Path file = tmp.resolve("corrupt-me.txt");
        Files.writeString(file, "the original " + tmp);
        String corrupt = "local?root=" + tmp.resolve("corrupt");
        String path = nixOk("nix-store", "--store", corrupt, "--add", file.toString()).trim();
        String hash = pathInfo(corrupt, path).get(path).get("narHash").asText();
        Path real = Path.of(tmp.resolve("corrupt") + path);
        assertTrue(real.toFile().setWritable(true) && real.getParent().toFile().setWritable(true));
        Files.writeString(real, "tampered with after it was registered");

        Run r = nix("nix", "copy", "--from", corrupt, "--to", socketStore, path);
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("hash mismatch importing path"), r.stderr());
        assertInvalid(path);
        assertEquals(404, http("/nar/" + nix32(hash) + ".nar.zst").statusCode());
    }

    @Test
    @Order(7)
    void anUploadKilledHalfWayLeavesNothing() throws Exception {
        String big = build("-killed", BIG, "big");
        String hash = pathInfo(src, big).get(big).get("narHash").asText();
        ProcessBuilder pb = nixProcess("nix", "copy", "--from", src, "--to", stdioStore, big);
        pb.redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile());
        String narKey = "nar/" + nix32(hash) + ".nar.zst";
        Process copy = pb.start();
        // Killed once the NAR's upload into the bucket is under way (a part of it stored).
        try (S3Client s3 = new AwsClients(AwsConfig.fromEnvironment(StackEnvironment.read(state))).s3()) {
            String bucket = bucketUrl.substring(bucketUrl.lastIndexOf('/') + 1);
            for (int i = 0; i < 600 && copy.isAlive() && uploadsInProgress(s3, bucket, narKey).stream()
                    .noneMatch(u -> !s3.listParts(l -> l.bucket(bucket).key(narKey).uploadId(u)).parts().isEmpty()); i++) {
                Thread.sleep(20);
            }
            assertTrue(copy.isAlive(), "the copy finished before it could be killed: " + read(tmp.resolve("killed.log")));
            assertEquals(1, uploadsInProgress(s3, bucket, narKey).size(), "the NAR's upload is under way");
            copy.descendants().forEach(ProcessHandle::destroyForcibly);
            copy.destroyForcibly().waitFor();
            // The proxy notices the dropped connection and aborts the upload: no part of it is kept.
            for (int i = 0; i < 300 && !uploadsInProgress(s3, bucket, narKey).isEmpty(); i++) {
                Thread.sleep(20);
            }
            assertEquals(List.of(), uploadsInProgress(s3, bucket, narKey), "the multipart upload was aborted");
        }
        assertInvalid(big);
        assertEquals(404, http("/" + narKey).statusCode());
        // and Cumulus goes on serving
        nixOk("nix", "store", "ping", "--store", socketStore);
    }

    /** The ids of the multipart uploads of {@code key} in progress in {@code bucket}. */
    private static List<String> uploadsInProgress(S3Client s3, String bucket, String key) {
        return s3.listMultipartUploads(l -> l.bucket(bucket).prefix(key)).uploads().stream()
                .filter(u -> u.key().equals(key)).map(software.amazon.awssdk.services.s3.model.MultipartUpload::uploadId).toList();
    }

    @Test
    @Order(8)
    void aBinaryCacheUploadIntoTheUploadsBucketBecomesValidThroughTheIngestFunction() throws Exception {
        String top = buildSalted("-http", 5);
        nixOk("nix", "copy", "--from", src, "--to", uploadsUrl, top);
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));
        // The store serves it from its own bucket, as any path it holds.
        String storeKey = Files.readString(state.resolve("signing-key.pub")).trim();
        String fromCache = "local?root=" + tmp.resolve("uploaded-from-cache");
        nixOk("nix", "copy", "--from", bucketUrl, "--to", fromCache, "--option", "trusted-public-keys",
                storeKey + " " + publicKey(signingKey), top);
        nixOk("nix-store", "--store", fromCache, "--verify", "--check-contents");

        // An upload nobody trusted signed is never registered: its narinfo is moved aside in the uploads bucket.
        String unsigned = build("-http", 1024, "unsigned");
        nixOk("nix", "copy", "--from", src, "--to", uploadsUrl, unsigned);
        assertInvalid(unsigned);
        String hashPart = unsigned.substring(11, 43);
        String reason = get(uploadsUrl + "/rejected/" + hashPart + ".narinfo.reason");
        assertTrue(reason.contains("lacks a signature by a trusted key"), reason);
        // and the store bucket itself takes no upload.
        Run refused = nix("nix", "copy", "--from", src, "--to", bucketUrl, unsigned);
        assertNotEquals(0, refused.exit(), refused.out());
        assertTrue(refused.stderr().contains("403"), refused.stderr());
        assertInvalid(unsigned);
    }

    @Test
    @Order(9)
    void contentAddressedAddsComputeTheSamePathsAsNix() throws Exception {
        Path dir = tmp.resolve("added");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/x"), "recursive " + tmp);
        Path file = tmp.resolve("flat.txt");
        Files.writeString(file, "flat " + tmp);
        String local = "local?root=" + tmp.resolve("adds");
        for (String[] add : List.of(new String[] {"nix-store", "--add", dir.toString()},
                new String[] {"nix", "store", "add-file", file.toString()})) {
            String expected = nixOk(concat(add, "--store", local)).trim();
            assertEquals(expected, nixOk(concat(add, "--store", stdioStore)).trim());
            assertEquals(pathInfo(local, expected), pathInfo(stdioStore, expected));
        }
    }

    /**
     * Issue 27: no upload can change what the store serves for a valid path. A forged narinfo or NAR
     * PUT at the store bucket is refused (403); the same uploaded to the uploads bucket is refused by
     * the ingest and kept aside, and the store's narinfo and NAR are as they were. A NAR object
     * overwritten, cut short or removed behind the store's back (at Cumulus's own S3 endpoint, as bit
     * rot or an operator would) makes a copy from Cumulus fail with an error, within seconds, and the
     * proxy logs the path and the object; `cumulus verify` names it, and a trusted client's
     * `nix-store --realise --repair` (BuildPaths in repair mode) and `cumulus verify --repair` fetch it
     * again from an upstream cache.
     */
    @Test
    @Order(10)
    void uploadsCannotDamageAValidPathAndADamagedNarIsAnErrorNotAHang() throws Exception {
        String p = build("-damage", 65536, "big");
        nixOk("nix", "copy", "--from", src, "--to", socketStore, p);
        String hashPart = p.substring(11, 43);
        String storeKey = Files.readString(state.resolve("signing-key.pub")).trim();
        String own = get("/" + hashPart + ".narinfo");

        // 1. A narinfo for P that the ingest rejects, PUT over P's, and garbage over its NAR.
        String forged = own.replaceAll("(?m)^NarHash: .*$", "NarHash: sha256:" + "0".repeat(52)).replaceAll("(?m)^Sig: .*\\n", "");
        String narKey = "/" + own.lines().filter(l -> l.startsWith("URL: ")).findFirst().orElseThrow().substring(5);
        byte[] ownNar = getBytes(bucketUrl + narKey);
        assertEquals(403, put(bucketUrl, "/" + hashPart + ".narinfo", forged.getBytes(StandardCharsets.UTF_8)).statusCode());
        assertEquals(403, put(bucketUrl, narKey, "garbage".getBytes(StandardCharsets.UTF_8)).statusCode());
        assertEquals(200, put(uploadsUrl, narKey, "garbage".getBytes(StandardCharsets.UTF_8)).statusCode());
        // The uploads bucket's event is handled before the PUT is answered, as the local stack delivers it.
        assertEquals(200, put(uploadsUrl, "/" + hashPart + ".narinfo", forged.getBytes(StandardCharsets.UTF_8)).statusCode());
        assertTrue(get(uploadsUrl + "/rejected/" + hashPart + ".narinfo.reason").contains("is already valid with NAR hash"));
        assertEquals(own, get("/" + hashPart + ".narinfo"), "the store's narinfo as it was");
        assertArrayEquals(ownNar, getBytes(bucketUrl + narKey), "the store's NAR as it was");
        String fromCache = "local?root=" + tmp.resolve("damage-from-cache");
        nixOk("nix", "copy", "--from", bucketUrl, "--to", fromCache, "--option", "trusted-public-keys", storeKey, p);
        nixOk("nix-store", "--store", fromCache, "--verify", "--check-contents");

        // 2. The NAR object overwritten with garbage, cut short, removed behind the store's back: each
        // an error, never a hang.
        byte[] nar = ownNar;
        byte[] garbage = new byte[nar.length];
        new java.util.Random(27).nextBytes(garbage);
        byte[] sameFrameOtherBytes = nar.clone();
        sameFrameOtherBytes[nar.length / 2] ^= 1;
        int attempt = 0;
        for (byte[] damage : List.of(garbage, java.util.Arrays.copyOf(nar, nar.length / 2), sameFrameOtherBytes, new byte[0])) {
            if (damage.length == 0) {
                try (HttpClient client = HttpClient.newHttpClient()) {
                    client.send(HttpRequest.newBuilder(URI.create(ownBucketUrl + narKey)).DELETE().build(),
                            HttpResponse.BodyHandlers.discarding());
                }
            } else {
                assertEquals(200, put(ownBucketUrl, narKey, damage).statusCode());
            }
            Path log = tmp.resolve("damaged-copy-" + attempt + ".log");
            String dst = "local?root=" + tmp.resolve("damaged-" + attempt++);
            Process copy = nixProcess("nix", "copy", "--from", stdioStore, "--to", dst, "--no-check-sigs", p)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean ended = copy.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                copy.descendants().forEach(ProcessHandle::destroyForcibly);
                copy.destroyForcibly();
            }
            String proxyTail = read(tmp.resolve("cumulus.err"));
            assertTrue(ended, "the copy of a damaged path hung: " + read(log) + "\n--- cumulus local:\n"
                    + proxyTail.substring(Math.max(0, proxyTail.length() - 4000)));
            assertNotEquals(0, copy.exitValue(), read(log));
            assertNotEquals(0, nix("nix", "path-info", "--store", dst, p).exit(), "nothing damaged was added");
            String proxyLog = read(tmp.resolve("cumulus.err"));
            assertTrue(proxyLog.contains("the NAR of '" + p + "' in the bucket (" + narKey.substring(1) + ")"), proxyLog);
        }
        // cumulus verify names it; --repair fetches it again from an upstream cache that has P.
        CliTest.Run damaged = cumulus("verify", "--check-contents");
        assertEquals(1, damaged.exit(), damaged.stderr());
        assertTrue(damaged.out().contains(p + "': its NAR file " + narKey.substring(1) + " is missing"), damaged.out());
        toCache("xz", "xz", upstreamKey, p);
        // A trusted client repairs it as from a nix-daemon: BuildPaths in repair mode.
        nixOk("nix-store", "--store", stdioStore, "--realise", "--repair", p);
        cumulusOk("verify", "--check-contents");
        Run untrusted = run(true, null, "nix-store", "--store", "ssh-ng://127.0.0.1?ssh-key=" + clientKey, "--realise",
                "--repair", p);
        assertNotEquals(0, untrusted.exit());
        assertTrue(untrusted.stderr().contains("repairing is not allowed because you are not a trusted user"), untrusted.stderr());
        // And cumulus verify --repair does the same for the whole store.
        try (HttpClient client = HttpClient.newHttpClient()) {
            client.send(HttpRequest.newBuilder(URI.create(ownBucketUrl + narKey)).DELETE().build(),
                    HttpResponse.BodyHandlers.discarding());
        }
        String repaired = cumulusOk("verify", "--check-contents", "--repair");
        assertTrue(repaired.contains(p) && repaired.contains("repaired: its NAR was fetched again from upstream"), repaired);
        cumulusOk("verify", "--check-contents");
        String again = "local?root=" + tmp.resolve("damage-repaired");
        nixOk("nix", "copy", "--from", stdioStore, "--to", again, "--no-check-sigs", p);
        nixOk("nix-store", "--store", again, "--verify", "--check-contents");
    }

    // --- helpers ---

    private String publicKey(Path secretKey) throws Exception {
        return run(secretKey.toString().getBytes(StandardCharsets.UTF_8), "sh", "-c",
                "nix key convert-secret-to-public < " + secretKey).out().trim();
    }

    /** An object of the store bucket ({@code /key}), or any URL. */
    private String get(String keyOrUrl) throws Exception {
        return new String(getBytes(keyOrUrl.startsWith("/") ? bucketUrl + keyOrUrl : keyOrUrl), StandardCharsets.UTF_8);
    }

    private static byte[] getBytes(String url) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body();
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private void assertInvalid(String path) throws Exception {
        Run info = nix("nix", "path-info", "--store", socketStore, path);
        assertNotEquals(0, info.exit(), info.out());
        assertTrue(info.stderr().contains("is not valid"), info.stderr());
        assertEquals(404, http("/" + path.substring(11, 43) + ".narinfo").statusCode());
    }

    private static String nix32(String sriOrNix) {
        if (sriOrNix.startsWith("sha256-")) {
            return dev.cumulus.model.hash.Hash.parseAny(sriOrNix).encode(dev.cumulus.model.hash.HashFormat.NIX32);
        }
        return sriOrNix.substring("sha256:".length());
    }

    /** An anonymous PUT of {@code key} into the bucket at {@code bucket}, as Nix's binary cache store does. */
    private static HttpResponse<Void> put(String bucket, String key, byte[] body) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create(bucket + key)).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    private HttpResponse<Void> http(String key) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(URI.create(bucketUrl + key)).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    /** Builds an attribute of closure.nix in the source store and signs its closure with the key Cumulus trusts, except "unsigned". */
    private String build(String salt, long bigSize, String attr) {
        return signed(attr, nixOk("nix-build", "--store", src, "--no-out-link", expression.toString(), "-A", attr,
                "--argstr", "salt", salt, "--arg", "big", Long.toString(bigSize)).trim());
    }

    private String buildSalted(String salt, int count) {
        return signed("top", nixOk("nix-build", "--store", src, "--no-out-link", expression.toString(), "-A", "top",
                "--argstr", "salt", salt, "--arg", "big", "1048576", "--arg", "count", Integer.toString(count)).trim());
    }

    private String signed(String attr, String path) {
        if (!attr.equals("unsigned")) {
            nixOk("nix", "store", "sign", "--store", src, "-r", "--key-file", signingKey.toString(), path);
        }
        return path;
    }

    // Builds (issue 6): the runner `cumulus local` starts builds under bubblewrap.

    private Path builds() throws IOException {
        Path file = tmp.resolve("builds.nix");
        if (!Files.exists(file)) {
            try (InputStream in = getClass().getResourceAsStream("/e2e/builds.nix")) {
                Files.write(file, in.readAllBytes());
            }
        }
        return file;
    }

    private String builtOut(String json) throws IOException {
        return JSON.readTree(json).get(0).get("outputs").get("out").asText();
    }

    @Test
    @Order(20)
    void aChainOfFiveBuildsOnCumulusWithTheReferencesTheDaemonFinds() throws Exception {
        String remote = builtOut(nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), "chain",
                "--argstr", "salt", "chain", "--no-link", "--json"));
        String local = builtOut(nixOk("nix", "build", "--store", src, "-f", builds().toString(), "chain",
                "--argstr", "salt", "chain", "--no-link", "--json"));
        assertEquals(local, remote);
        Map<String, JsonNode> daemon = pathInfo(src, local);
        Map<String, JsonNode> cumulus = pathInfo(stdioStore, remote);
        assertEquals(5, cumulus.size(), cumulus.keySet().toString());
        assertEquals(daemon.keySet(), cumulus.keySet());
        for (String path : daemon.keySet()) {
            assertEquals(daemon.get(path).get("references"), cumulus.get(path).get("references"), path);
            assertEquals(daemon.get(path).get("narHash"), cumulus.get(path).get("narHash"), path);
        }
        // The outputs are signed by the store and pass Nix's own check.
        nixOk("nix", "store", "verify", "--store", stdioStore, "-r", "--no-trust", remote,
                "--trusted-public-keys", Files.readString(state.resolve("signing-key.pub")).trim());
    }

    @Test
    @Order(21)
    void remoteBuildersBuildOnCumulusAndTheResultAppearsLocally() throws Exception {
        String out = nixOk("nix", "build", "--store", src, "-f", builds().toString(), "chain", "--argstr", "salt", "remote",
                "--no-link", "--json", "--max-jobs", "0", "--builders", stdioStore + " x86_64-linux");
        String path = builtOut(out);
        assertTrue(nixOk("nix", "path-info", "--store", src, "-r", path).lines().count() >= 5);
        assertEquals(pathInfo(src, path), pathInfo(stdioStore, path));
    }

    @Test
    @Order(22)
    void aContentAddressedDerivationBuildsOnceAndGetsTheDaemonsPath() throws Exception {
        String remote = builtOut(nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), "caDrv",
                "--argstr", "salt", "ca", "--no-link", "--json"));
        // The output refers to itself, and since Nix 2.18 such an output's hash is computed without
        // the self-references' positions: the daemon Cumulus stands in for is today's Nix.
        NixClient nix = todaysNix();
        String[] local = {"nix", "build", "-f", builds().toString(), "caDrv", "--argstr", "salt", "ca", "--no-link", "--json",
                "--store", nix.equals(client) ? src : "local"};
        Run built = run(nix, local);
        assertEquals(0, built.exit(), built.stderr());
        assertEquals(builtOut(built.out()), remote, "the final path of a floating content-addressed output follows from its content");
        if (nix.equals(client)) {
            assertEquals(pathInfo(src, remote), pathInfo(stdioStore, remote));
        }
        String again = nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), "caDrv",
                "--argstr", "salt", "ca", "--no-link", "--json", "-L");
        assertEquals(remote, builtOut(again));
        long caBuilds = cumulusOk("builds").lines().filter(l -> l.endsWith("-ca.drv")).count();
        assertEquals(1, caBuilds, "building it again ran no builder");

        // Its realisation is in the bucket under both layouts, Nix 2.35's build trace among them.
        String drv = JSON.readTree(again).get(0).get("drvPath").asText();
        JsonNode trace = JSON.readTree(get("/build-trace-v2/" + drv.substring("/nix/store/".length()) + "/out.doi"));
        assertEquals(remote.substring("/nix/store/".length()), trace.get("outPath").asText());
        String id = nixOk("nix", "realisation", "info", "--store", stdioStore, "-f", builds().toString(), "caDrv",
                "--argstr", "salt", "ca").trim().split(" ")[0];
        assertEquals(200, http("/realisations/" + id + ".doi").statusCode());
    }

    @Test
    @Order(23)
    void aFailingBuilderGivesNixsFailureAndTheLogTail() throws Exception {
        Run r = nix("nix", "build", "--store", stdioStore, "-f", builds().toString(), "fails", "--argstr", "salt", "fails",
                "--no-link");
        assertEquals(1, r.exit(), r.stderr());
        assertTrue(r.stderr().contains("failed with exit code 3"), r.stderr());
        assertTrue(r.stderr().contains("second line"), r.stderr());
        String failed = cumulusOk("builds").lines().filter(l -> l.contains("-fails.drv")).findFirst().orElseThrow();
        assertTrue(failed.contains(" failed ") && failed.contains("PermanentFailure"), failed);
        assertTrue(cumulusOk("builds", "log", failed.split(" ")[0]).contains("about to fail"));
        // The same in JSON, for scripts: where and when it ran.
        com.fasterxml.jackson.databind.JsonNode listed = null;
        for (var b : JSON.readTree(cumulusOk("builds", "--json"))) {
            if (b.get("id").asText().equals(failed.split(" ")[0])) {
                listed = b;
            }
        }
        assertTrue(listed != null && listed.get("drvPath").asText().endsWith("-fails.drv"), String.valueOf(listed));
        assertEquals("failed", listed.get("state").asText());
        assertEquals("PermanentFailure", listed.get("status").asText());
        assertTrue(listed.get("runner").asText().startsWith("runner-"), listed.toString());
        assertEquals("default", listed.get("pool").asText(), "no pool configured: the default one");
        assertTrue(failed.contains(" default    " + listed.get("runner").asText() + " "), failed);
        assertTrue(listed.get("startTime").asLong() >= listed.get("submittedAt").asLong()
                && listed.get("stopTime").asLong() >= listed.get("startTime").asLong(), listed.toString());
        // The log is in the bucket, where `nix log` finds it (Nix 2.8 cannot ask an ssh-ng store for logs).
        String drv = nixOk("nix", "eval", "--store", stdioStore, "--raw", "-f", builds().toString(), "fails.drvPath",
                "--argstr", "salt", "fails").trim();
        // The runner stores it right after reporting the failure, so it may take a moment.
        Run log = nix("nix", "log", "--store", bucketUrl, drv);
        for (int i = 0; i < 20 && log.exit() != 0; i++) {
            Thread.sleep(250);
            log = nix("nix", "log", "--store", bucketUrl, drv);
        }
        assertTrue(log.out().contains("about to fail"), log.stderr());
    }

    /**
     * Issue 25: the dashboard in a real browser (Debian's headless Chromium) after a copy, a build that
     * succeeds and one that fails: both builds are listed with their states, the failed build's log is
     * one link away and the markup its builder printed is shown as text (its script does not run), the
     * copied path and its closure size are one link away; {@code /metrics} parses as Prometheus text
     * and its counters moved. A screenshot of each page is kept under target/dashboard-screenshots.
     * With the first client only (the pages do not depend on the client).
     * (Nix refuses a derivation name holding {@code <script>}; DashboardTest shows one written to the table.)
     */
    @Test
    @Order(24)
    void theDashboardShowsBuildsTheirLogsAndCopiedPathsInABrowser() throws Exception {
        // What the dashboard shows does not depend on the client: once, with the first one, keeps the suite short.
        assumeTrue(client.equals(NixClient.selected().getFirst()), "the dashboard is checked with the first client");
        Optional<HeadlessBrowser> found = HeadlessBrowser.find(tmp.resolve("chromium-profile"));
        if (System.getenv("CI") != null) {
            assertTrue(found.isPresent(), "chromium is missing (apt-get install chromium)");
        }
        assumeTrue(found.isPresent(), "chromium is missing");
        HeadlessBrowser browser = found.get();
        Path shots = Path.of("target", "dashboard-screenshots", client.name());
        nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), "chain", "--argstr", "salt", "dashboard",
                "--no-link");
        assertEquals(1, nix("nix", "build", "--store", stdioStore, "-f", builds().toString(), "fails", "--argstr", "salt",
                "dashboard", "--no-link").exit());
        Path file = tmp.resolve("dashboard.txt");
        Files.writeString(file, "copied for the dashboard " + tmp);
        String copied = nixOk("nix", "store", "add-file", "--store", stdioStore, file.toString()).trim(); // the newest upload

        String home = browser.dom(dashboardUrl);
        browser.screenshot(dashboardUrl, shots.resolve("builds.png"));
        java.util.regex.Matcher failed = java.util.regex.Pattern.compile(
                "<tr class=\"failed\"><td><a href=\"/(builds/[0-9a-z]{32})\">fails</a><br><small>/nix/store/[0-9a-z]{32}-fails.drv"
                        + "</small></td><td>failed</td>").matcher(home);
        assertTrue(failed.find(), home);
        assertTrue(java.util.regex.Pattern.compile("\">c5</a><br><small>[^<]*-c5.drv</small></td><td>built</td>")
                .matcher(home).find(), home);
        assertTrue(read(tmp.resolve("cumulus.out")).contains("\n  dashboard     " + dashboardUrl + "\n"),
                "cumulus local prints where the dashboard is");
        String buildUrl = dashboardUrl + failed.group(1);
        String build = browser.dom(buildUrl);
        browser.screenshot(buildUrl, shots.resolve("failed-build.png"));
        assertTrue(build.contains("about to fail") && build.contains("failed with exit code 3"), build);
        assertTrue(build.contains("&lt;script&gt;document.title=1&lt;/script&gt;"), build);
        assertTrue(build.contains("<title>Build of fails · Cumulus</title>"), "the log's script did not run: " + build);

        String hashPart = copied.substring(copied.lastIndexOf('/') + 1, copied.lastIndexOf('/') + 33);
        assertTrue(home.contains("<a href=\"/paths/" + hashPart + "\">" + copied + "</a>"), "a recent upload: " + home);
        String pathUrl = dashboardUrl + "paths/" + hashPart;
        String path = browser.dom(pathUrl);
        browser.screenshot(pathUrl, shots.resolve("path.png"));
        assertTrue(path.contains("<th>Closure size</th><td>1 path, "), path);
        for (String page : List.of("store", "gc")) {
            browser.screenshot(dashboardUrl + page, shots.resolve(page + ".png"));
        }

        Map<String, Double> metrics = PrometheusText.parse(httpGet(dashboardUrl + "metrics"));
        assertTrue(metrics.getOrDefault("cumulus_builds_total{state=\"failed\",pool=\"default\"}", 0.0) >= 1, metrics.toString());
        assertTrue(metrics.getOrDefault("cumulus_builds_total{state=\"built\",pool=\"default\"}", 0.0) >= 1, metrics.toString());
        assertTrue(metrics.getOrDefault("cumulus_uploaded_paths_total", 0.0) >= 1, metrics.toString());
        assertTrue(metrics.getOrDefault("cumulus_upload_path_seconds_count", 0.0) >= 1, metrics.toString());
    }

    private static String httpGet(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return r.body();
        }
    }

    /**
     * A derivation for a system or a feature no runner has is refused as Nix's daemon refuses it,
     * naming the system and features, for a client build and an event-triggered one alike (it used
     * to wait in the queue for ever); one needing a default feature (big-parallel) builds.
     */
    @Test
    @Order(29)
    void aDerivationNoRunnerCanBuildIsRefusedNamingItsSystemAndFeatures() throws Exception {
        Map<String, String> refused = Map.of("aarch64", "a 'aarch64-linux' with features {} is required to build",
                "cuda", "a 'x86_64-linux' with features {cuda} is required to build");
        for (var c : refused.entrySet()) {
            Run r = nix("nix", "build", "--store", stdioStore, "-f", builds().toString(), c.getKey(), "--argstr", "salt", "refused",
                    "--no-link");
            assertNotEquals(0, r.exit(), r.stderr());
            assertTrue(r.stderr().contains(c.getValue()) && r.stderr().contains("but I am a 'x86_64-linux' with features {"),
                    r.stderr());
        }
        String drv = nixOk("nix", "eval", "--store", stdioStore, "--raw", "-f", builds().toString(), "aarch64.drvPath",
                "--argstr", "salt", "refused-event").trim();
        CliTest.Run event = cumulus("build", drv);
        assertNotEquals(0, event.exit(), event.out());
        assertTrue((event.out() + event.stderr()).contains(refused.get("aarch64")), event.out() + event.stderr());

        // The default pool has Nix's default features: big-parallel and nixos-test builds run.
        for (String attr : List.of("bigParallel", "nixosTest")) {
            String built = builtOut(nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), attr,
                    "--argstr", "salt", "refused", "--no-link", "--json"));
            assertEquals(1, pathInfo(stdioStore, built).size(), attr);
        }
    }

    /**
     * Two runner pools (issue 24), as {@code --runner-pool} makes them: each build goes to the pool
     * that has its system and features and is told that pool's cores; one no pool can build is
     * refused naming its system and every pool, and never queued; a runner killed mid-build on one
     * pool holds up no build of the other, and its own build comes back on its pool; a saturated
     * pool takes a waiting client's build before an event's.
     */
    @Test
    @Order(30)
    void twoRunnerPoolsEachBuildWhatTheyHaveWithTheirCoresAndFailAlone() throws Exception {
        // Routing and scheduling are the store's, the same whatever the client: the first client's
        // suite runs this (a minute of its own cumulus local), the others' do not repeat it.
        assumeTrue(client.equals(NixClient.selected().getFirst()), "run with " + NixClient.selected().getFirst());
        Path pooled = Files.createDirectories(tmp.resolve("pooled"));
        Process second = startLocal(pooled, "pooled", List.of(
                "--runner-pool", "main systems=x86_64-linux,i686-linux features=benchmark,big-parallel cores=3 jobs=1",
                "--runner-pool", "gpu systems=x86_64-linux features=cuda cores=1 runners=1 jobs=1"), Map.of());
        try {
            String store = "ssh-ng://localhost?remote-program=" + pooled.resolve("remote-program");
            String printed = read(tmp.resolve("pooled.out"));
            assertTrue(printed.contains("runner pool   main: a 'x86_64-linux' with features {benchmark, big-parallel} "
                    + "(and can build for 'i686-linux'), 3 cores a build, 1 runner(s) of 1 job(s)"), printed);
            Map<String, String> poolOf = Map.of("i686", "main", "bigParallel", "main", "cuda", "gpu");
            Map<String, String> drvOf = new TreeMap<>();
            for (var c : poolOf.entrySet()) {
                String out = builtOut(nixOk("nix", "build", "--store", store, "-f", builds().toString(), c.getKey(),
                        "--argstr", "salt", "pools", "--no-link", "--json"));
                assertEquals(c.getValue().equals("main") ? "3\n" : "1\n",
                        nixOk("nix", "store", "cat", "--store", store, out + "/cores"), c.getKey() + ": NIX_BUILD_CORES");
                drvOf.put(c.getKey(), nixOk("nix", "eval", "--store", store, "--raw", "-f", builds().toString(),
                        c.getKey() + ".drvPath", "--argstr", "salt", "pools").trim());
            }
            Run arm = nix("nix", "build", "--store", store, "-f", builds().toString(), "aarch64", "--argstr", "salt", "pools",
                    "--no-link");
            assertNotEquals(0, arm.exit(), arm.stderr());
            assertTrue(arm.stderr().contains("a 'aarch64-linux' with features {} is required to build")
                    && arm.stderr().contains("no runner pool is: pool 'main' is a 'x86_64-linux' with features {benchmark, "
                    + "big-parallel} (and can build for 'i686-linux'); pool 'gpu' is a 'x86_64-linux' with features {cuda}"),
                    arm.stderr());

            // The main pool's runner dies mid-build; the gpu pool builds meanwhile.
            Process sleeping = nixInBackground("pooled-sleeps", "nix", "build", "--store", store, "-f", builds().toString(),
                    "sleeps", "--argstr", "salt", "pools", "--argstr", "seconds", "6.25", "--no-link", "--json");
            runnerBuilding(second, "6.25", Set.of()).destroyForcibly();
            builtOut(nixOk("nix", "build", "--store", store, "-f", builds().toString(), "cuda", "--argstr", "salt",
                    "while-main-is-down", "--no-link", "--json"));
            assertTrue(sleeping.isAlive(), "the gpu pool built while the main pool's build waited for its runner");
            assertTrue(sleeping.waitFor(90, TimeUnit.SECONDS), "the killed build came back");
            assertEquals(0, sleeping.exitValue(), read(tmp.resolve("pooled-sleeps.err")));

            Map<String, JsonNode> listed = new TreeMap<>();
            CliTest.Run builds = cumulusIn(pooled, "builds", "--json");
            assertEquals(0, builds.exit(), builds.stderr());
            for (var b : JSON.readTree(builds.out())) {
                listed.put(b.get("drvPath").asText(), b);
            }
            drvOf.forEach((attr, drv) -> {
                JsonNode b = listed.get(drv);
                assertEquals(poolOf.get(attr), b.get("pool").asText(), attr);
                assertEquals("runner-" + poolOf.get(attr) + "-1", b.get("runner").asText(), attr);
            });
            JsonNode slept = listed.values().stream().filter(b -> b.get("drvPath").asText().endsWith("-sleeps.drv"))
                    .findFirst().orElseThrow();
            assertEquals("main", slept.get("pool").asText());
            assertEquals(2, slept.get("attempts").asInt(), "built on its pool's restarted runner: " + slept);
            assertTrue(listed.keySet().stream().noneMatch(d -> d.endsWith("-foreign.drv")), "nothing queued for aarch64");

            // A saturated pool (one runner of one job, busy) takes the build a client waits for before
            // a batch build (an event's) queued earlier.
            Process busy = nixInBackground("pooled-busy", "nix", "build", "--store", store, "-f", builds().toString(), "sleeps",
                    "--argstr", "salt", "busy", "--argstr", "seconds", "15.25", "--no-link");
            runnerBuilding(second, "15.25", Set.of());
            String batchDrv = nixOk("nix", "eval", "--store", store, "--raw", "-f", builds().toString(), "first.drvPath",
                    "--argstr", "salt", "batch").trim();
            Process batch = new ProcessBuilder(concat(cumulusCommand().toArray(String[]::new), "build", batchDrv,
                    "--state-dir", pooled.toString())).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("pooled-batch.out").toFile()).start();
            awaitBuild(pooled, batchDrv, "queued");
            String clientDrv = nixOk("nix", "eval", "--store", store, "--raw", "-f", builds().toString(), "sleeps.drvPath",
                    "--argstr", "salt", "client", "--argstr", "seconds", "1.75").trim();
            Process client = nixInBackground("pooled-client", "nix", "build", "--store", store, "-f", builds().toString(),
                    "sleeps", "--argstr", "salt", "client", "--argstr", "seconds", "1.75", "--no-link");
            awaitBuild(pooled, clientDrv, "queued");
            for (Process p : List.of(busy, client, batch)) {
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), read(tmp.resolve("pooled-batch.out")) + read(tmp.resolve("pooled-client.err")));
            }
            JsonNode clientBuild = awaitBuild(pooled, clientDrv, "built");
            JsonNode batchBuild = awaitBuild(pooled, batchDrv, "built");
            assertTrue(clientBuild.get("startTime").asLong() < batchBuild.get("startTime").asLong(),
                    "the client's build ran first: " + clientBuild + " " + batchBuild);
        } finally {
            second.destroy();
            assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the second cumulus local did not stop");
        }
    }

    @Test
    @Order(24)
    void cumulusBuildRunsADerivationWithNoClientConnected() throws Exception {
        String drv = nixOk("nix", "eval", "--store", stdioStore, "--raw", "-f", builds().toString(), "chain.drvPath",
                "--argstr", "salt", "no-client").trim();
        String out = cumulusOk("build", drv);
        String path = out.lines().filter(l -> l.startsWith("/nix/store/")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertTrue(path.endsWith("-c5"), out);
        assertEquals(5, pathInfo(stdioStore, path).size());
    }

    @Test
    @Order(25)
    void aBuilderPastItsTimeoutOrSilenceLimitIsStoppedWithNixsTimedOut() throws Exception {
        // Over the unix socket: Nix 2.8 sends its settings (SetOptions) there, not over ssh-ng.
        Run silent = nix("nix", "build", "--store", socketStore, "-f", builds().toString(), "sleeps", "--argstr", "salt", "silent",
                "--argstr", "seconds", "60.25", "--no-link", "--max-silent-time", "2");
        assertNotEquals(0, silent.exit(), silent.stderr());
        assertTrue(silent.stderr().contains("timed out after 2 seconds of silence"), silent.stderr());
        Run busy = nix("nix", "build", "--store", socketStore, "-f", builds().toString(), "chatters", "--argstr", "salt", "busy",
                "--argstr", "seconds", "60", "--no-link", "--timeout", "3", "-L");
        assertNotEquals(0, busy.exit(), busy.stderr());
        assertTrue(busy.stderr().contains("timed out after 3 seconds"), busy.stderr());
        assertTrue(busy.stderr().contains("tick 1"), "the log came while it ran: " + busy.stderr());
        // Both ended as timed out, each in its first attempt, long before its builder would have.
        List<String> ended = cumulusOk("builds").lines().filter(l -> l.contains("-sleeps.drv") || l.contains("-chatters.drv"))
                .toList();
        assertEquals(2, ended.size(), ended.toString());
        assertTrue(ended.stream().allMatch(l -> l.contains(" failed ") && l.contains("TimedOut") && l.contains(" 1 attempt ")),
                ended.toString());
        assertTrue(builderProcesses("60.25").isEmpty(), "no builder is left running");
    }

    @Test
    @Order(26)
    void aBuildWhoseRunnerIsKilledComesBackAndIsBuiltByTheNextRunner() throws Exception {
        Process client = nixInBackground("killed", "nix", "build", "--store", stdioStore, "-f", builds().toString(), "sleeps",
                "--argstr", "salt", "killed", "--argstr", "seconds", "3.5", "--no-link", "--json");
        ProcessHandle runner = runnerBuilding("3.5", Set.of());
        runner.destroyForcibly();
        assertTrue(client.waitFor(90, TimeUnit.SECONDS), "the client got an answer");
        assertEquals(0, client.exitValue(), read(tmp.resolve("killed.err")));
        String out = builtOut(read(tmp.resolve("killed.out")));
        assertEquals("slept\n", nixOk("nix", "store", "cat", "--store", stdioStore, out + "/done"));
        String line = cumulusOk("builds").lines().filter(l -> l.contains("-sleeps.drv") && l.contains(" built "))
                .findFirst().orElseThrow();
        assertTrue(line.contains(" 2 attempts "), "built on its second attempt: " + line);
    }

    @Test
    @Order(27)
    void aBuildThatKeepsLosingItsRunnerIsDeadLetteredAndTheClientGetsAClearFailure() throws Exception {
        Process client = nixInBackground("dead", "nix", "build", "--store", stdioStore, "-f", builds().toString(), "sleeps",
                "--argstr", "salt", "dead", "--argstr", "seconds", "60.5", "--no-link");
        Set<Long> killed = new java.util.HashSet<>();
        for (int attempt = 1; attempt <= 3; attempt++) {
            ProcessHandle runner = runnerBuilding("60.5", killed);
            killed.add(runner.pid());
            runner.destroyForcibly();
        }
        assertTrue(client.waitFor(90, TimeUnit.SECONDS), "the client got an answer, not a hang");
        String stderr = read(tmp.resolve("dead.err"));
        assertNotEquals(0, client.exitValue(), stderr);
        assertTrue(stderr.contains("no build-runner finished it in 3 attempts"), stderr);
        assertTrue(builderProcesses("60.5").isEmpty(), "no builder is left running");
    }

    @Test
    @Order(28)
    void aClientThatHangsUpCancelsItsBuild() throws Exception {
        Process client = nixInBackground("gone", "nix", "build", "--store", stdioStore, "-f", builds().toString(), "sleeps",
                "--argstr", "salt", "gone", "--argstr", "seconds", "60.75", "--no-link");
        runnerBuilding("60.75", Set.of());
        client.descendants().forEach(ProcessHandle::destroyForcibly);
        client.destroyForcibly();
        for (int i = 0; i < 300 && !builderProcesses("60.75").isEmpty(); i++) {
            Thread.sleep(100);
        }
        assertTrue(builderProcesses("60.75").isEmpty(), "the builder was stopped");
        String line = cumulusOk("builds").lines().filter(l -> l.contains("-sleeps.drv") && l.contains("cancelled"))
                .findFirst().orElseThrow();
        assertTrue(line.contains(" failed "), line);
    }

    // Deleting (issue 23): as a nix-daemon of the same Nix does, and never seen again once deleted.

    @Test
    @Order(29)
    void nixStoreDeleteRefusesAPathAnotherValidPathRefersToAsTheDaemonDoes() throws Exception {
        String top = buildSalted("-delete", 3);
        Set<String> closure = pathInfo(src, top).keySet();
        String leaf = closure.stream().filter(p -> p.endsWith("-leaf-delete")).findFirst().orElseThrow();
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, top);
        nixOk("nix", "copy", "--no-check-sigs", "--from", src, "--to", daemonStore(), top);
        for (String store : List.of(daemonStore(), stdioStore)) {
            Run refused = nix("nix", "store", "delete", "--store", store, leaf);
            assertEquals(1, refused.exit(), store + ": " + refused.stderr());
            assertTrue(refused.stderr().contains("Cannot delete path '" + leaf + "' since it is still alive"),
                    store + ": " + refused.stderr());
            assertEquals(closure, pathInfo(store, top).keySet(), "nothing went from " + store);
        }
        // With its referrers the path goes, and so does the rest of what was named.
        for (String store : List.of(daemonStore(), stdioStore)) {
            List<String> command = new ArrayList<>(List.of("nix", "store", "delete", "--store", store));
            command.addAll(closure);
            nixOk(command.toArray(String[]::new));
            for (String p : closure) {
                Run info = nix("nix", "path-info", "--store", store, p);
                assertNotEquals(0, info.exit(), store + " still has " + p);
            }
        }
    }

    @Test
    @Order(29)
    void aPathDeletedThroughOneProxyIsNotValidThroughAnyOther() throws Exception {
        String top = buildSalted("-two-proxies", 3);
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, top);
        Path socket = tmp.resolve("second-proxy.sock");
        List<String> command = new ArrayList<>(cumulusCommand());
        command.addAll(List.of("proxy", "--socket", socket.toString(), "--functions", "in-process"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("second-proxy.log").toFile());
        pb.environment().putAll(StackEnvironment.read(state));
        Process second = pb.start();
        try {
            for (int i = 0; i < 300 && !Files.exists(socket); i++) {
                assertTrue(second.isAlive(), () -> read(tmp.resolve("second-proxy.log")));
                Thread.sleep(100);
            }
            Path program = RemoteProgram.write(tmp.resolve("second-proxy-program"), socket);
            String other = "ssh-ng://localhost?remote-program=" + program;
            // Both proxies have answered for the closure (and keep those answers for a while).
            Set<String> closure = pathInfo(other, top).keySet();
            assertEquals(closure, pathInfo(stdioStore, top).keySet());

            List<String> delete = new ArrayList<>(List.of("nix", "store", "delete", "--store", stdioStore));
            delete.addAll(closure);
            nixOk(delete.toArray(String[]::new));
            for (String store : List.of(other, stdioStore, socketStore)) {
                for (String p : closure) {
                    Run info = nix("nix", "path-info", "--store", store, p);
                    assertNotEquals(0, info.exit(), store + " still answers for " + p + ": " + info.out());
                    assertTrue(info.stderr().contains("is not valid"), info.stderr());
                }
            }
        } finally {
            second.destroy();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * A nix-daemon of the client under test on a chroot store of its own, reached as Cumulus is
     * (ssh-ng with the stdio stand-in): where Nix's behaviour is in doubt, its answer counts.
     */
    private String daemonStore() throws IOException {
        Path program = tmp.resolve("daemon-program");
        if (!Files.exists(program)) {
            Files.writeString(program, "#!/bin/sh\nNIX_CONFIG=\"$NIX_CONFIG\nstore = local?root=" + tmp.resolve("daemon-store")
                    + "\" exec nix-daemon --stdio\n");
            assertTrue(program.toFile().setExecutable(true));
        }
        return "ssh-ng://localhost?remote-program=" + program;
    }

    // Garbage collection (issue 8). These run last: a collection deletes every path no root holds.

    @Test
    @Order(30)
    void nixStoreGcRemovesExactlyTheUnreachablePathsAndKeepsRootedClosuresIntact() throws Exception {
        String kept = buildSalted("-gc-kept", 6);
        String doomed = buildSalted("-gc-doomed", 6);
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, kept, doomed);
        cumulusOk("roots", "add", "e2e-kept", kept);
        assertTrue(cumulusOk("roots").contains("e2e-kept -> " + kept));

        Set<String> all = Set.copyOf(nixOk("nix", "path-info", "--all", "--store", stdioStore).lines().toList());
        Set<String> dead = Set.copyOf(nixOk("nix-store", "--store", stdioStore, "--gc", "--print-dead").lines().toList());
        Set<String> live = Set.copyOf(nixOk("nix-store", "--store", stdioStore, "--gc", "--print-live").lines().toList());
        Set<String> keptClosure = pathInfo(stdioStore, kept).keySet();
        Set<String> doomedOnly = new java.util.HashSet<>(pathInfo(stdioStore, doomed).keySet());
        doomedOnly.removeAll(keptClosure); // the two closures share their leaf-most paths
        assertTrue(live.containsAll(keptClosure), "the rooted closure is live");
        assertTrue(dead.containsAll(doomedOnly) && !doomedOnly.isEmpty(), "the unrooted closure is dead");
        Set<String> both = new java.util.HashSet<>(dead);
        both.retainAll(live);
        assertEquals(Set.of(), both);
        Set<String> union = new java.util.HashSet<>(dead);
        union.addAll(live);
        assertEquals(all, union, "every valid path is either live or dead");

        nixOk("nix", "store", "gc", "--store", stdioStore);
        Set<String> after = Set.copyOf(nixOk("nix", "path-info", "--all", "--store", stdioStore).lines().toList());
        assertEquals(live, after, "exactly the dead paths went");
        for (String p : doomedOnly) {
            assertEquals(404, http("/" + p.substring(11, 43) + ".narinfo").statusCode(), "its narinfo went too");
        }
        String dst = "local?root=" + tmp.resolve("dst-gc");
        nixOk("nix", "copy", "--from", stdioStore, "--to", dst, "--no-check-sigs", kept);
        nixOk("nix-store", "--store", dst, "--verify", "--check-contents");
        assertEquals(pathInfo(src, kept), pathInfo(dst, kept));
        cumulusOk("verify", "--check-contents");

        cumulusOk("roots", "remove", "e2e-kept");
        assertTrue(cumulusOk("gc").contains(kept), "without its root the closure goes");
        // Collected by another process: the proxy, which answered for it a moment ago, does not any more.
        assertInvalid(kept);
        assertFalse(cumulusOk("gc", "--print-live").contains(kept));
    }

    @Test
    @Order(31)
    void collectionsWhileAnotherClientUploadsAClosureLoseNothingOfIt() throws Exception {
        for (int round = 0; round < 3; round++) {
            String top = buildSalted("-gc-race-" + round, 40);
            Map<String, JsonNode> closure = pathInfo(src, top);
            // The copy's own temporary roots end with its connection, and a collection overlapping its
            // end may then rightly delete the closure; this connection roots its top (before it
            // exists, as Nix allows) until the check is done. Only the top: until the top is valid,
            // the rest is protected by nothing but the copy's own roots, which is what is tested.
            try (SocketChannel holder = tempRoots(Set.of(top))) {
                String name = "race-" + round;
                Process copy = nixInBackground(name, "nix", "copy", "--from", src, "--to", stdioStore, top);
                int collections = 0;
                while (copy.isAlive() || collections == 0) {
                    cumulusOk("gc");
                    collections++;
                }
                assertEquals(0, copy.waitFor(), () -> read(tmp.resolve(name + ".err")));
                assertEquals(closure, pathInfo(stdioStore, top), "round " + round + ", " + collections + " collections");
            }
            cumulusOk("verify");
        }
    }

    // Substitution (issue 20): upstream caches written by Nix (xz and zstd), one signed by a stranger.
    // These run after the collections above, which would take what they fetch.

    /** Builds {@code attr} of builds.nix in the source store, where its builder may see the upstream marker. */
    private String buildUpstream(String attr, String salt) throws IOException {
        Path marker = upstreamMarker();
        return builtOut(nixOk("nix", "build", "--store", src, "-f", builds().toString(), attr, "--argstr", "salt", salt,
                "--argstr", "marker", marker.toString(), "--no-link", "--json", "--option", "extra-sandbox-paths",
                marker.toString()));
    }

    /** The file only the test's own builds see (Cumulus's runners see nothing of this machine's /tmp). */
    private Path upstreamMarker() throws IOException {
        Path marker = tmp.resolve("upstream-marker");
        Files.writeString(marker, "only this machine has it\n");
        return marker;
    }

    /** Copies {@code path}'s closure into the cache {@code name}, as `nix copy --to file://…` writes one. */
    private void toCache(String name, String compression, Path key, String path) {
        nixOk("nix", "copy", "--from", src, "--to", "file://" + caches.folder(name) + "?compression=" + compression
                + "&secret-key=" + key, path);
    }

    @Test
    @Order(40)
    void aRemoteBuildGetsAnInputNoBuilderCanMakeFromUpstream() throws Exception {
        String input = buildUpstream("upstreamOnly", "sub");
        toCache("xz", "xz", upstreamKey, input);
        // Cumulus's runner could not build it ("not here"): the build goes through only if it is fetched.
        String out = builtOut(nixOk("nix", "build", "--store", stdioStore, "-f", builds().toString(), "usesUpstream",
                "--argstr", "salt", "sub", "--argstr", "marker", upstreamMarker().toString(), "--no-link", "--json"));
        assertEquals("made upstream\n", nixOk("nix", "store", "cat", "--store", stdioStore, out + "/y"));
        assertTrue(cumulusOk("builds").lines().noneMatch(l -> l.contains("-upstream-only.drv")), "the input was not built");
        JsonNode info = JSON.readTree(nixOk("nix", "path-info", "--json", "--store", stdioStore, input));
        JsonNode sigs = (info.isArray() ? info.get(0) : info.get(input)).get("signatures");
        assertTrue(sigs.toString().contains("upstream-1:"), "upstream's signature kept: " + sigs);

        // What a dry run says: the input is fetched, the rest built.
        String next = buildUpstream("upstreamOnly", "sub-dry");
        toCache("zstd", "zstd", upstreamKey, next);
        Run dry = nix("nix", "build", "--dry-run", "--store", stdioStore, "-f", builds().toString(), "usesUpstream",
                "--argstr", "salt", "sub-dry", "--argstr", "marker", upstreamMarker().toString());
        assertEquals(0, dry.exit(), dry.stderr());
        String fetched = dry.stderr().substring(dry.stderr().indexOf("will be fetched"));
        assertTrue(fetched.contains(next), dry.stderr());
        assertTrue(dry.stderr().contains("will be built") && dry.stderr().contains("-uses-upstream.drv"), dry.stderr());
    }

    @Test
    @Order(41)
    void substituteOnDestinationFetchesFromUpstreamWhatTheClientWouldSend() throws Exception {
        String top = buildSalted("-sod", 3);
        toCache("zstd", "zstd", upstreamKey, top);
        // Nix 2.8 asks the destination to substitute only with builders-use-substitutes (it sends that setting).
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, "--substitute-on-destination", "--option",
                "builders-use-substitutes", "true", top);
        JsonNode info = JSON.readTree(nixOk("nix", "path-info", "--json", "--store", stdioStore, top));
        JsonNode sigs = (info.isArray() ? info.get(0) : info.get(top)).get("signatures");
        assertTrue(sigs.toString().contains("upstream-1:"), "fetched by Cumulus, not sent by the client: " + sigs);
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));
    }

    @Test
    @Order(42)
    void badUpstreamsGiveNixsErrorsAndLeaveNothing() throws Exception {
        // Signed by a key Cumulus does not trust (and by no other).
        String untrusted = build("-untrusted", 1024, "unsigned");
        toCache("stranger", "xz", strangerKey, untrusted);
        // A NAR whose bytes were changed after the narinfo was written.
        String corrupt = buildSalted("-corrupt", 1);
        toCache("xz", "none", upstreamKey, corrupt);
        String narinfo = Files.readString(caches.folder("xz").resolve(corrupt.substring(11, 43) + ".narinfo"));
        String url = narinfo.lines().filter(l -> l.startsWith("URL: ")).findFirst().orElseThrow().substring(5);
        Path nar = caches.folder("xz").resolve(url);
        // One character of a file's contents (a reference's name), so the NAR still parses and only its hash differs.
        String text = new String(Files.readAllBytes(nar), StandardCharsets.ISO_8859_1);
        int at = text.indexOf("-corrupt\n");
        assertTrue(at > 0, "the top's NAR names its chain");
        Files.write(nar, (text.substring(0, at + 1) + "C" + text.substring(at + 2)).getBytes(StandardCharsets.ISO_8859_1));
        // An upstream that fails for one path and has never heard of another.
        String failing = buildSalted("-failing", 1);
        toCache("xz", "xz", upstreamKey, failing);
        caches.failing.put("xz/" + failing.substring(11, 43) + ".narinfo", 500);
        String unknown = buildSalted("-unknown", 1);

        Map<String, String> expected = Map.of(untrusted, "is not signed by any of the keys", corrupt, "hash mismatch",
                failing, "HTTP 500", unknown, "there is no substituter that can build it");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Run r = nix("nix-store", "--store", stdioStore, "--realise", e.getKey());
            assertNotEquals(0, r.exit(), e.getKey());
            assertTrue(r.stderr().contains(e.getValue()), e.getKey() + ": " + r.stderr());
            assertInvalid(e.getKey());
        }
    }

    @Test
    @Order(43)
    void cumulusBuildWithNoClientFetchesTheInputsFromUpstream() throws Exception {
        String input = buildUpstream("upstreamOnly", "sub-event");
        toCache("xz", "xz", upstreamKey, input);
        String drv = nixOk("nix", "eval", "--store", stdioStore, "--raw", "-f", builds().toString(), "usesUpstream.drvPath",
                "--argstr", "salt", "sub-event", "--argstr", "marker", upstreamMarker().toString()).trim();
        String out = cumulusOk("build", drv);
        String path = out.lines().filter(l -> l.startsWith("/nix/store/")).findFirst().orElseThrow(() -> new AssertionError(out));
        assertEquals("made upstream\n", nixOk("nix", "store", "cat", "--store", stdioStore, path + "/y"));
        assertTrue(cumulusOk("builds").lines().noneMatch(l -> l.contains("-upstream-only.drv")));
    }

    // The build graph (issue 28): submissions as a pipeline sends them, with no client connected.

    @Test
    @Order(50)
    void aSubmissionWithNoClientConnectedBuildsTheGraphAndAnnouncesTheTopsOutputs() throws Exception {
        String drv = copyDerivation("graph", "graph-event");
        String id = submit(JSON.createObjectNode().put("drvPath", drv).set("outputs", JSON.createArrayNode().add("out")));
        JsonNode done = awaitFinished(id, Duration.ofSeconds(180));
        assertEquals("built", done.path("status").asText(), done.toString());
        assertEquals(drv, done.path("drvPath").asText());
        assertTrue(done.path("stopTime").asLong() >= done.path("submittedAt").asLong(), done.toString());
        String out = done.path("outputs").path("out").asText();
        assertTrue(out.endsWith("-graph-top"), done.toString());
        // Both branches were built, and are valid in Cumulus with the top.
        String[] inputs = nixOk("nix", "store", "cat", "--store", stdioStore, out + "/inputs").trim().split(" ");
        assertTrue(inputs[0].endsWith("-c5") && inputs[1].endsWith("-side"), String.join(" ", inputs));
        Map<String, JsonNode> closure = pathInfo(stdioStore, out);
        assertTrue(closure.keySet().containsAll(List.of(inputs)), closure.keySet().toString());
    }

    @Test
    @Order(51)
    void aSubmissionWhoseInputFailsIsAnnouncedAsDependencyFailedNamingTheStepAndItsLog() throws Exception {
        String drv = copyDerivation("graphFails", "graph-fails");
        String id = submit(JSON.createObjectNode().put("drvPath", drv));
        JsonNode done = awaitFinished(id, Duration.ofSeconds(120));
        assertEquals("dependency-failed", done.path("status").asText(), done.toString());
        String failing = done.path("failingStep").asText();
        assertTrue(failing.endsWith("-fails.drv"), done.toString());
        assertTrue(done.path("error").asText().contains("failed with exit code 3"), done.toString());
        assertTrue(cumulusOk("builds", "log", done.path("failingBuild").asText()).contains("about to fail"));
        // The log in the bucket, where the event says (the runner stores it right after its report).
        String key = done.path("log").asText();
        assertEquals("log/" + failing.substring(failing.lastIndexOf('/') + 1), key);
        String log = "";
        for (int i = 0; i < 40 && !log.contains("about to fail"); i++) {
            try (HttpClient http = HttpClient.newHttpClient()) {
                log = http.send(HttpRequest.newBuilder(URI.create(bucketUrl + "/" + key)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            }
            Thread.sleep(250);
        }
        assertTrue(log.contains("about to fail"), log);
    }

    @Test
    @Order(52)
    void twoSubmissionsSharingStepsBuildThemOnce() throws Exception {
        String graph = copyDerivation("graph", "graph-shared");
        String chain = copyDerivation("chain", "graph-shared");
        String byQueue = submit(JSON.createObjectNode().put("drvPath", graph));
        // `cumulus build --no-wait` submits the same way and answers the submission's id.
        String byCli = cumulusOk("build", "--no-wait", chain).trim();
        assertEquals("built", awaitFinished(byQueue, Duration.ofSeconds(180)).path("status").asText());
        JsonNode chained = awaitFinished(byCli, Duration.ofSeconds(180));
        assertEquals("built", chained.path("status").asText(), chained.toString());
        assertTrue(chained.path("outputs").path("out").asText().endsWith("-c5"), chained.toString());
        String first = nixOk("nix", "eval", "--store", src, "--raw", "-f", builds().toString(), "first.drvPath", "--argstr",
                "salt", "graph-shared").trim();
        assertEquals(1, cumulusOk("builds").lines().filter(l -> l.contains(first)).count(), "the shared steps built once");
    }

    @Test
    @Order(53)
    void aSubmissionOfAMissingOrMalformedDerivationIsAnnouncedAsFailedWithinSeconds() throws Exception {
        long start = System.nanoTime();
        String missingDrv = "/nix/store/" + "a".repeat(32) + "-missing.drv";
        String missing = submit(JSON.createObjectNode().put("drvPath", missingDrv));
        String notAPath = submit(JSON.createObjectNode().put("drvPath", "hello"));
        String notJson = submit("{\"drvPath\": ");
        JsonNode gone = awaitFinished(missing, Duration.ofSeconds(20));
        assertEquals("failed", gone.path("status").asText(), gone.toString());
        assertTrue(gone.path("error").asText().contains("is not in the store"), gone.toString());
        assertEquals("failed", awaitFinished(notAPath, Duration.ofSeconds(20)).path("status").asText());
        JsonNode unreadable = awaitFinished(notJson, Duration.ofSeconds(20));
        assertEquals("failed", unreadable.path("status").asText());
        assertTrue(unreadable.path("error").asText().startsWith("not a build submission"), unreadable.toString());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "announced within seconds");
    }

    @Test
    @Order(54)
    void aRunnerKilledMidGraphDelaysTheSubmissionButDoesNotLoseIt() throws Exception {
        String drv = copyDerivation("afterSleep", "graph-killed", "--argstr", "seconds", "3.25");
        String id = submit(JSON.createObjectNode().put("drvPath", drv));
        runnerBuilding("3.25", Set.of()).destroyForcibly();
        JsonNode done = awaitFinished(id, Duration.ofSeconds(120));
        assertEquals("built", done.path("status").asText(), done.toString());
        assertEquals("slept\n", nixOk("nix", "store", "cat", "--store", stdioStore,
                done.path("outputs").path("out").asText() + "/slept"));
    }

    /**
     * {@code attr}'s derivation (salted) instantiated in the client's store and copied to Cumulus
     * with its closure, as a pipeline does: {@code nix copy --derivation}. Answers its path.
     */
    private String copyDerivation(String attr, String salt, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("nix", "copy", "--derivation", "--from", src, "--to", stdioStore,
                "-f", builds().toString(), attr, "--argstr", "salt", salt));
        command.addAll(List.of(args));
        nixOk(command.toArray(String[]::new));
        command = new ArrayList<>(List.of("nix", "eval", "--store", src, "--raw", "-f", builds().toString(), attr + ".drvPath",
                "--argstr", "salt", salt));
        command.addAll(List.of(args));
        return nixOk(command.toArray(String[]::new)).trim();
    }

    /** cumulus local's SQS, once a test needs it; the build events read from it so far, by submission. */
    private SqsClient sqs;
    private final Map<String, JsonNode> finished = new ConcurrentHashMap<>();

    /** The URL of {@code queue} in cumulus local's stack. */
    private String queueUrl(QueueSpec queue) throws IOException {
        Map<String, String> env = StackEnvironment.read(state);
        if (sqs == null) {
            sqs = new AwsClients(AwsConfig.fromEnvironment(env)).sqs();
        }
        String name = queue.physicalName(env.get("CUMULUS_RESOURCE_PREFIX"));
        return sqs.getQueueUrl(g -> g.queueName(name)).queueUrl();
    }

    /** Sends {@code body} to the build-submissions queue; answers the message's id (the submission's, as it names none). */
    private String submit(Object body) throws IOException {
        String url = queueUrl(CloudResources.BUILD_SUBMISSIONS);
        String text = body instanceof String s ? s : JSON.writeValueAsString(body);
        return sqs.sendMessage(m -> m.queueUrl(url).messageBody(text)).messageId();
    }

    /** Waits for submission {@code id}'s event on the build-events queue (each event read is kept for later waits). */
    private JsonNode awaitFinished(String id, Duration timeout) throws IOException {
        String url = queueUrl(CloudResources.BUILD_EVENTS);
        long end = System.nanoTime() + timeout.toNanos();
        while (!finished.containsKey(id) && System.nanoTime() < end) {
            for (var m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                JsonNode event = JSON.readTree(m.body());
                finished.put(event.path("submission").asText(), event);
                sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
        }
        JsonNode event = finished.get(id);
        if (event == null) {
            throw new AssertionError("no build-events message for submission " + id + " in " + timeout.toSeconds()
                    + " s; cumulus local's stderr:\n" + read(tmp.resolve("cumulus.err")));
        }
        return event;
    }

    /** A daemon connection over the socket that holds {@code paths} as temporary roots until closed. */
    private SocketChannel tempRoots(Set<String> paths) throws IOException {
        SocketChannel channel = SocketChannel.open(java.net.UnixDomainSocketAddress.of(state.resolve("daemon.sock")));
        var w = new dev.cumulus.model.wire.WireWriter(new java.io.BufferedOutputStream(Channels.newOutputStream(channel)));
        var r = new dev.cumulus.model.wire.WireReader(Channels.newInputStream(channel));
        w.writeNum(dev.cumulus.model.wire.Stderr.WORKER_MAGIC_1).flush();
        assertEquals(dev.cumulus.model.wire.Stderr.WORKER_MAGIC_2, r.readNum());
        r.readNum(); // the daemon's version
        w.writeNum(0x122).writeNum(0).writeNum(0).flush(); // 1.34, no CPU affinity, no reserved space
        r.readString(); // daemon version string (1.33+)
        assertEquals(dev.cumulus.model.wire.Stderr.LAST, r.readNum()); // no "trusted" flag below 1.35
        for (String p : paths) {
            w.writeNum(11).writeString(p).flush(); // AddTempRoot
            assertEquals(dev.cumulus.model.wire.Stderr.LAST, r.readNum());
            assertEquals(1, r.readNum());
        }
        return channel;
    }

    /** Starts a nix command with its output in {@code NAME.out} and {@code NAME.err}. */
    private Process nixInBackground(String name, String... command) throws IOException {
        return nixProcess(command).redirectOutput(tmp.resolve(name + ".out").toFile())
                .redirectError(tmp.resolve(name + ".err").toFile()).start();
    }

    /** The builders (under cumulus local's runners) whose command line ends with {@code sleep ARG}. */
    private List<ProcessHandle> builderProcesses(String sleepArgument) {
        return builderProcesses(cumulus, sleepArgument);
    }

    private static List<ProcessHandle> builderProcesses(Process local, String sleepArgument) {
        return local.descendants().filter(p -> p.info().commandLine().orElse("").endsWith("sleep " + sleepArgument)).toList();
    }

    /** The runner process (a direct child of cumulus local) running the builder that sleeps {@code ARG}, not one of {@code except}. */
    private ProcessHandle runnerBuilding(String sleepArgument, Set<Long> except) throws Exception {
        return runnerBuilding(cumulus, sleepArgument, except);
    }

    private ProcessHandle runnerBuilding(Process local, String sleepArgument, Set<Long> except) throws Exception {
        for (int i = 0; i < 600; i++) {
            for (ProcessHandle builder : builderProcesses(local, sleepArgument)) {
                Optional<ProcessHandle> p = builder.parent();
                while (p.isPresent() && p.get().parent().map(ProcessHandle::pid).orElse(-1L) != local.pid()) {
                    p = p.get().parent();
                }
                if (p.isPresent() && !except.contains(p.get().pid())) {
                    return p.get();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no runner started the builder 'sleep " + sleepArgument + "'; cumulus local's stderr:\n"
                + read(tmp.resolve("cumulus.err")));
    }

    private String cumulusOk(String... args) throws Exception {
        CliTest.Run r = cumulus(args);
        assertEquals(0, r.exit(), () -> String.join(" ", args) + ": " + r.stderr());
        return r.out();
    }

    // The serve protocol (issue 21): ssh:// as nix copy, nix-copy-closure, Nix's build hook and Hydra speak it.

    /** The ssh:// store through the stdio stand-in for ssh and cumulus local's remote-program. */
    private String serveStore() {
        return "ssh://localhost?remote-program=" + state.resolve("remote-program");
    }

    /** A new SSH key, in cumulus local's authorized_keys (re-read at each login) with {@code options} before it unless null. */
    private Path sshKey(String name, String options) throws Exception {
        Path key = tmp.resolve(name);
        if (!Files.exists(key)) {
            assertEquals(0, CliTest.run(null, new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                    "-f", key.toString())).exit());
            if (options != null) {
                Files.writeString(state.resolve("authorized_keys"), options + Files.readString(Path.of(key + ".pub")),
                        StandardOpenOption.APPEND);
            }
        }
        return key;
    }

    @Test
    @Order(60)
    void copyBothWaysOverSshWithTheServeProtocol() throws Exception {
        nixOk("nix", "store", "ping", "--store", serveStore());
        String top = buildSalted("-serve", 20);
        nixOk("nix", "copy", "--from", src, "--to", serveStore(), top);
        // path-info -r asks QueryPathInfos for each path and QueryClosure for the closure.
        assertEquals(pathInfo(src, top), pathInfo(serveStore(), top));
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));
        String dst = "local?root=" + tmp.resolve("dst-serve");
        nixOk("nix", "copy", "--from", serveStore(), "--to", dst, "--no-check-sigs", top);
        nixOk("nix-store", "--store", dst, "--verify", "--check-contents");
        assertEquals(pathInfo(src, top), pathInfo(dst, top));
    }

    /** {@code nix-copy-closure} over OpenSSH to the embedded server, with {@code key} (its local store is the {@code store} option). */
    private Run copyClosure(Path key, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("nix-copy-closure"));
        command.addAll(List.of(args));
        ProcessBuilder pb = nixProcess(true, command.toArray(String[]::new));
        pb.environment().put("NIX_SSHOPTS", pb.environment().get("NIX_SSHOPTS") + " -i " + key);
        CliTest.Run r = CliTest.run(null, pb);
        return new Run(r.exit(), r.out(), r.stderr());
    }

    @Test
    @Order(61)
    void nixCopyClosureOverRealSshBothWaysAndAnUntrustedKeysUnsignedImportIsRefused() throws Exception {
        String top = buildSalted("-closure", 5);
        Run to = copyClosure(clientKey, "--option", "store", src, "--to", "127.0.0.1", top);
        assertEquals(0, to.exit(), to.stderr());
        assertEquals(pathInfo(src, top), pathInfo(stdioStore, top));

        String unsigned = build("-closure", 1024, "unsigned");
        Run refused = copyClosure(clientKey, "--option", "store", src, "--to", "127.0.0.1", unsigned);
        assertNotEquals(0, refused.exit());
        assertTrue(refused.stderr().contains("lacks a signature by a trusted key"), refused.stderr());
        assertInvalid(unsigned);

        String dst = "local?root=" + tmp.resolve("dst-closure");
        Run from = copyClosure(clientKey, "--option", "store", dst, "--from", "127.0.0.1", top);
        assertEquals(0, from.exit(), from.stderr());
        assertEquals(pathInfo(src, top), pathInfo(dst, top));
    }

    @Test
    @Order(62)
    void aReadOnlyKeyFetchesButCannotImportAndAStrangersKeyIsRefused() throws Exception {
        String top = buildSalted("-serve", 20);
        nixOk("nix", "copy", "--from", src, "--to", stdioStore, top);
        // As NixOS's nix.sshServe: the key's forced command is nix-store --serve, without --write.
        String readOnly = "ssh://127.0.0.1?ssh-key=" + sshKey("read-only-key", "command=\"nix-store --serve\" ");
        String dst = "local?root=" + tmp.resolve("dst-read-only");
        nixOk(true, "nix", "copy", "--from", readOnly, "--to", dst, "--no-check-sigs", top);
        assertEquals(pathInfo(src, top), pathInfo(dst, top));
        String other = buildSalted("-read-only", 2);
        Run refused = run(true, null, "nix", "copy", "--from", src, "--to", readOnly, other);
        assertNotEquals(0, refused.exit());
        assertTrue(refused.stderr().contains("importing paths is not allowed"), refused.stderr());
        assertInvalid(other);

        String stranger = "ssh://127.0.0.1?ssh-key=" + sshKey("stranger-ssh-key", null);
        Run r = run(true, null, "nix", "store", "ping", "--store", stranger);
        assertNotEquals(0, r.exit());
        assertTrue(r.stderr().contains("Permission denied"), r.stderr());
    }

    @Test
    @Order(63)
    void buildMachinesOverSshBuildAChainAndIndependentStepsOnCumulus() throws Exception {
        // A chain of five and a step beside it, each a separate BuildDerivation through the build hook.
        String out = nixOk("nix-build", "--store", src, builds().toString(), "-A", "graph", "--argstr", "salt", "serve",
                "--no-out-link", "--max-jobs", "0", "--builders", serveStore() + " x86_64-linux").trim();
        assertTrue(nixOk("nix", "path-info", "--store", src, "-r", out).lines().count() >= 7);
        assertEquals(pathInfo(src, out), pathInfo(stdioStore, out));
        assertTrue(cumulusOk("builds").lines().anyMatch(l -> l.contains("-side.drv")), "built on Cumulus");

        // Over OpenSSH as a NixOS buildMachines entry: a builder's key is trusted (it sends input-addressed derivations).
        String builder = "ssh://127.0.0.1?ssh-key=" + sshKey("builder-key", SshServer.TRUSTED_OPTION + " ");
        String viaSsh = builtOut(nixOk(true, "nix", "build", "--store", src, "-f", builds().toString(), "chain",
                "--argstr", "salt", "serve-ssh", "--no-link", "--json", "--max-jobs", "0", "--builders", builder + " x86_64-linux"));
        assertEquals(pathInfo(src, viaSsh), pathInfo(stdioStore, viaSsh));
    }

    @Test
    @Order(64)
    void aFailingBuildOverSshShowsNixsFailureAndItsLogOnTheClient() throws Exception {
        Run r = nix("nix-build", "--store", src, builds().toString(), "-A", "fails", "--argstr", "salt", "serve-fails",
                "--no-out-link", "--max-jobs", "0", "--builders", serveStore() + " x86_64-linux");
        assertNotEquals(0, r.exit(), r.stderr());
        assertTrue(r.stderr().contains("failed with exit code 3"), r.stderr());
        assertTrue(r.stderr().contains("about to fail") && r.stderr().contains("second line"), r.stderr());
    }

    /** {@code ./cumulus ARGS --state-dir STATE} against this test's {@code cumulus local}. */
    private CliTest.Run cumulus(String... args) throws Exception {
        return cumulusIn(state, args);
    }

    /** The build of {@code drvPath} that {@code cumulus builds --json} lists, once it is in {@code state}. */
    private static JsonNode awaitBuild(Path stateDir, String drvPath, String state) throws Exception {
        for (int i = 0; i < 60; i++) {
            CliTest.Run r = cumulusIn(stateDir, "builds", "--json");
            assertEquals(0, r.exit(), r.stderr());
            for (JsonNode b : JSON.readTree(r.out())) {
                if (b.get("drvPath").asText().equals(drvPath) && b.get("state").asText().equals(state)) {
                    return b;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no build of " + drvPath + " became " + state);
    }

    /** {@code ./cumulus ARGS --state-dir STATE}: a command against the cumulus local of {@code stateDir}. */
    private static CliTest.Run cumulusIn(Path stateDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(cumulusCommand());
        command.addAll(List.of(args));
        command.addAll(List.of("--state-dir", stateDir.toString()));
        return CliTest.run(null, new ProcessBuilder(command));
    }

    /** {@code ./cumulus} as the tests run it: this JVM's java and class path. */
    private static List<String> cumulusCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    /**
     * Path → the fields both stores must agree on, from {@code nix path-info --json -r}: a list of
     * objects with a "path" field up to Nix 2.18, an object keyed by path since.
     */
    private Map<String, JsonNode> pathInfo(String store, String path) throws IOException {
        Map<String, JsonNode> out = new TreeMap<>();
        JsonNode infos = JSON.readTree(nixOk("nix", "path-info", "--json", "-r", "--store", store, path));
        List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
        if (infos.isArray()) {
            infos.forEach(p -> entries.add(Map.entry(p.get("path").asText(), p)));
        } else {
            entries.addAll(infos.properties());
        }
        for (Map.Entry<String, JsonNode> e : entries) {
            JsonNode p = e.getValue();
            var node = JSON.createObjectNode();
            node.set("narHash", p.get("narHash"));
            node.set("narSize", p.get("narSize"));
            node.set("references", p.get("references"));
            node.put("ca", p.path("ca").asText(""));
            out.put(e.getKey(), node);
        }
        return out;
    }

    record Run(int exit, String out, String stderr) {}

    private ProcessBuilder nixProcess(String... command) {
        return nixProcess(false, command);
    }

    /** With {@code realSsh}, ssh-ng:// runs OpenSSH against the embedded server; else the stdio stand-in. */
    private ProcessBuilder nixProcess(boolean realSsh, String... command) {
        return nixProcess(client, realSsh, command);
    }

    /** {@code command} run by {@code nix}, which may be another client than the one under test (see {@link #todaysNix}). */
    private ProcessBuilder nixProcess(NixClient nix, boolean realSsh, String... command) {
        List<String> wrapped = new ArrayList<>(nix.command(List.of(command)));
        if (nix.root().isPresent()) {
            // The chroot client's own store ("local", src for its tests): a directory of this test as its /nix.
            Path own = ensureDirectory(tmp.resolve(nix.equals(client) ? "nix" : "nix-" + nix.name()));
            wrapped.addAll(wrapped.indexOf("--"), List.of("--bind", own.toString(), "/nix"));
        }
        ProcessBuilder pb = new ProcessBuilder(wrapped);
        Map<String, String> env = pb.environment();
        env.put("NIX_CONFIG", "substituters =\nexperimental-features = nix-command ca-derivations\n"
                + "sandbox = true\nsandbox-paths = /bin /lib /lib64 /usr\nnarinfo-cache-negative-ttl = 0\n"
                + nix.extraConfig());
        env.put("HOME", tmp.resolve("home").toString());
        env.put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        String path = nix.root().isPresent() ? "/usr/bin:/bin" : System.getenv("PATH");
        if (!realSsh) {
            path = CliTest.shared().resolve("nix-2.8-captures/tools/bin").toAbsolutePath().normalize() + ":" + path;
        }
        env.put("PATH", path);
        env.put("NIX_SSHOPTS", "-p " + sshPort + " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                + "-o LogLevel=ERROR -o BatchMode=yes");
        return pb;
    }

    private static Path ensureDirectory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Run nix(String... command) throws Exception {
        return run(false, null, command);
    }

    private Run run(byte[] stdin, String... command) throws Exception {
        return run(false, stdin, command);
    }

    private Run run(boolean realSsh, byte[] stdin, String... command) throws Exception {
        CliTest.Run r = CliTest.run(stdin, nixProcess(realSsh, command));
        return new Run(r.exit(), r.out(), r.stderr());
    }

    private Run run(NixClient nix, String... command) throws Exception {
        CliTest.Run r = CliTest.run(null, nixProcess(nix, false, command));
        return new Run(r.exit(), r.out(), r.stderr());
    }

    /**
     * The client whose answers count where Nix changed them: the one under test from Nix 2.18 on,
     * Debian sid's for Nix 2.8 (the daemon Cumulus stands in for is today's).
     */
    private NixClient todaysNix() {
        if (!client.equals(NixClient.BOOKWORM)) {
            return client;
        }
        if (System.getenv("CI") != null) {
            assertTrue(NixClient.SID.installed(), NixClient.SID.missing());
        }
        assumeTrue(NixClient.SID.installed(), NixClient.SID.missing());
        return NixClient.SID;
    }

    private String nixOk(String... command) {
        return nixOk(false, command);
    }

    private String nixOk(boolean realSsh, String... command) {
        try {
            Run r = run(realSsh, null, command);
            if (r.exit() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (" + r.exit() + "):\n" + r.stderr()
                        + "\n--- cumulus local's stderr:\n" + read(tmp.resolve("cumulus.err")));
            }
            return r.out();
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }
}
