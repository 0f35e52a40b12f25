package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.BucketUpload;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.model.wire.WorkerCodec;
import dev.cumulus.proxy.ProxyConfig;
import dev.cumulus.proxy.TestClient;
import dev.cumulus.proxy.UnixSocketServer;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.NarService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import dev.cumulus.proxy.bucket.BucketNarService;
import dev.cumulus.proxy.bucket.NarLocator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's worker protocol over the real backends {@code cumulus local} assembles (the local
 * stack's tables and bucket), driven with raw requests: the export format's operations, a NAR that
 * does not match what its info declares, and a backend that fails in the middle of a framed upload.
 */
@ExtendWith(LocalStackExtension.class)
class DaemonConnectionOverCloudTest {
    private static final StoreDir STORE = StoreDir.DEFAULT;
    private static final long EXPORT_MAGIC = 0x4558494eL;
    private static final int MINOR = 34;

    @TempDir
    Path tmp;

    private record Proxy(StoreFunctionClient functions, UnixSocketServer server, SecretKey key) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A trusted proxy over the local stack's backends, the NAR store wrapped by {@code nars}. */
    private Proxy proxy(LocalStack stack, java.util.function.UnaryOperator<NarService> nars) throws IOException {
        SecretKey key = SecretKey.generate("daemon-over-cloud-1");
        AwsClients clients = new AwsClients(stack.config());
        InProcessInvoker invoker = new InProcessInvoker(StoreFunctions.of(clients,
                new FunctionsConfig(STORE, stack.config().resourcePrefix(), List.of(key.publicKey()), List.of())));
        Backends real = CloudBackends.of(clients, invoker, STORE, NarCompression.NONE, Optional.empty());
        Backends backends = new Backends(real.pathInfo(), nars.apply(real.nars()), real.builds(), real.realisations(),
                real.roots(), real.substitutions());
        UnixSocketServer server = new UnixSocketServer(new ProxyConfig(STORE, backends, WireLimits.DEFAULT),
                tmp.resolve("proxy.sock"), true);
        return new Proxy(new StoreFunctionClient(invoker), server, key);
    }

    /** ImportPaths makes valid what the export records carry; ExportPath gives a record back byte for byte. */
    @Test
    void importedPathsAreValidAndExportAsTheyCame(LocalStack stack) throws Exception {
        try (Proxy proxy = proxy(stack, n -> n); TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            byte[] libNar = nar("imported lib " + tmp);
            byte[] appNar = nar("imported app " + tmp);
            StorePath lib = path("imported-lib");
            StorePath app = path("imported-app");
            byte[] appRecord = record(appNar, app, List.of(lib));
            byte[] export = export(List.of(record(libNar, lib, List.of()), appRecord));

            c.out.writeNum(27);
            assertEquals(Optional.empty(), c.readStderr(new ByteArrayInputStream(export), OutputStream.nullOutputStream()));
            assertEquals(List.of(STORE.print(lib), STORE.print(app)), c.in.readStrings());
            PathInfoAnswer appInfo = proxy.functions().call(StoreFunction.QUERY_PATH_INFO, new PathQuery(STORE.print(app)));
            assertEquals(Hash.of(HashAlgorithm.SHA256, appNar).toString(), appInfo.info().narHash());
            assertEquals(List.of(STORE.print(lib)), appInfo.info().references());

            ByteArrayOutputStream exported = new ByteArrayOutputStream();
            c.out.writeNum(16).writeString(STORE.print(app)).writeNum(0);
            assertEquals(Optional.empty(), c.readStderr(InputStream.nullInputStream(), exported));
            assertEquals(1, c.in.readNum());
            assertArrayEquals(appRecord, exported.toByteArray());
        }
    }

    /**
     * The client hears its paths are valid once their narinfos are in the bucket too, not before,
     * however slowly the narinfos are written (here each takes half a second).
     */
    @Test
    void anImportEndsOnceItsNarInfosAreWritten(LocalStack stack) throws Exception {
        S3Bucket bucket = new S3Bucket(new AwsClients(stack.config()).s3(),
                CloudResources.STORE_BUCKET.physicalName(stack.config().resourcePrefix()));
        Bucket slowNarInfos = new Bucket() {
            @Override
            public Optional<InputStream> open(String key) throws IOException {
                return bucket.open(key);
            }

            @Override
            public java.util.OptionalLong size(String key) throws IOException {
                return bucket.size(key);
            }

            @Override
            public void put(String key, byte[] content, String contentType) throws IOException {
                if (key.endsWith(".narinfo")) {
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                bucket.put(key, content, contentType);
            }

            @Override
            public BucketUpload upload(String key, String contentType) throws IOException {
                return bucket.upload(key, contentType);
            }

            @Override
            public void delete(String key) throws IOException {
                bucket.delete(key);
            }

            @Override
            public void list(String prefix, IOConsumer<StoredObject> each) throws IOException {
                bucket.list(prefix, each);
            }

            @Override
            public boolean touch(String key) throws IOException {
                return bucket.touch(key);
            }
        };
        NarLocator unused = new NarLocator() { // this test reads no NAR back
            @Override
            public NarObject locate(StorePath path, boolean fresh) {
                throw new StoreException("not asked here");
            }

            @Override
            public void remember(StorePath path, NarObject object) {}
        };
        try (Proxy proxy = proxy(stack, real -> new BucketNarService(slowNarInfos, functions(stack), unused, info -> {},
                STORE, NarCompression.NONE, Optional.empty()));
             TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            StorePath lib = path("slow-narinfo-lib");
            StorePath app = path("slow-narinfo-app");
            byte[] export = export(List.of(record(nar("slow narinfo lib " + tmp), lib, List.of()),
                    record(nar("slow narinfo app " + tmp), app, List.of(lib))));
            c.out.writeNum(27);
            assertEquals(Optional.empty(), c.readStderr(new ByteArrayInputStream(export), OutputStream.nullOutputStream()));
            assertEquals(List.of(STORE.print(lib), STORE.print(app)), c.in.readStrings());
            for (StorePath p : List.of(lib, app)) {
                assertTrue(narInfoInBucket(stack, p), p.hashPart() + ".narinfo is in the bucket when the import ends");
            }
        }
    }

    private StoreFunctionClient functions(LocalStack stack) {
        return new StoreFunctionClient(new InProcessInvoker(StoreFunctions.of(new AwsClients(stack.config()),
                new FunctionsConfig(STORE, stack.config().resourcePrefix(), List.of(), List.of()))));
    }

    private static boolean narInfoInBucket(LocalStack stack, StorePath path) {
        try {
            new AwsClients(stack.config()).s3().headObject(h -> h.bucket(
                    CloudResources.STORE_BUCKET.physicalName(stack.config().resourcePrefix())).key(BinaryCacheLayout.narInfoKey(path)));
            return true;
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            return false;
        }
    }

    /** An export record whose reference the store lacks is refused; nothing of it is valid; the connection goes on. */
    @Test
    void anImportWithAMissingReferenceIsRefusedWhole(LocalStack stack) throws Exception {
        try (Proxy proxy = proxy(stack, n -> n); TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            StorePath absent = path("never-added");
            StorePath orphan = path("orphan");
            byte[] export = export(List.of(record(nar("orphan " + tmp), orphan, List.of(absent))));

            c.out.writeNum(27);
            Optional<String> error = c.readStderr(new ByteArrayInputStream(export), OutputStream.nullOutputStream());
            assertTrue(error.isPresent() && error.get().contains(STORE.print(absent)), error.toString());
            assertFalse(isValid(c, orphan), "the connection answers, and the path is not valid");
        }
    }

    /**
     * Many paths register in several registrations, each while the next paths arrive: one that fails
     * (a reference the store lacks, in the second) reaches the client, the registrations before it
     * stand, and nothing after it is registered.
     */
    @Test
    void aRegistrationFailingWhileLaterPathsArriveFailsTheImportAndRegistersNothingAfterIt(LocalStack stack) throws Exception {
        try (Proxy proxy = proxy(stack, n -> n); TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            StorePath absent = path("never-added");
            List<StorePath> paths = new java.util.ArrayList<>();
            List<byte[]> records = new java.util.ArrayList<>();
            for (int i = 0; i < 400; i++) {
                StorePath p = path("many-" + i);
                paths.add(p);
                records.add(record(nar("many " + i + " " + tmp), p, i == 150 ? List.of(absent) : List.of()));
            }
            byte[] export = export(records);

            c.out.writeNum(27);
            Optional<String> error = c.readStderr(new ByteArrayInputStream(export), OutputStream.nullOutputStream());
            assertTrue(error.isPresent() && error.get().contains(STORE.print(absent)), error.toString());
            assertTrue(isValid(c, paths.getFirst()), "the first registration stands");
            assertFalse(isValid(c, paths.get(150)));
            assertFalse(isValid(c, paths.getLast()), "nothing after the failed registration is registered");
        }
    }

    /**
     * A NAR longer than its info declares is refused in Nix's words with both sizes; the rest of its
     * frames are read, nothing is valid, and the connection goes on to add the path as declared.
     */
    @Test
    void aNarLongerThanDeclaredIsRefusedAndTheConnectionGoesOn(LocalStack stack) throws Exception {
        try (Proxy proxy = proxy(stack, n -> n); TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            byte[] nar = nar("longer " + tmp);
            StorePath path = path("longer");
            byte[] bigger = nar("longer " + tmp + " and then some more bytes than were declared");
            PathInfo understated = PathInfo.of(path, Hash.of(HashAlgorithm.SHA256, bigger), nar.length, List.of())
                    .sign(STORE, proxy.key());
            Optional<String> error = addToStoreNar(c, understated, bigger);
            assertTrue(error.isPresent() && error.get().contains("size mismatch importing path '" + STORE.print(path) + "'")
                    && error.get().contains("specified: " + nar.length) && error.get().contains("got:       " + bigger.length),
                    error.toString());
            assertFalse(isValid(c, path));

            PathInfo declared = PathInfo.of(path, Hash.of(HashAlgorithm.SHA256, nar), nar.length, List.of()).sign(STORE, proxy.key());
            assertEquals(Optional.empty(), addToStoreNar(c, declared, nar), "the same path, its NAR as declared");
            assertTrue(isValid(c, path));
        }
    }

    /**
     * The NAR store fails after reading part of a framed upload: that request ends in the backend's
     * error, its remaining frames are read, nothing of it is valid, and the next upload on the same
     * connection succeeds.
     */
    @Test
    void aBackendFailingInTheMiddleOfAFramedUploadEndsThatRequestOnly(LocalStack stack) throws Exception {
        StorePath doomed = path("doomed");
        try (Proxy proxy = proxy(stack, real -> new FailingMidway(real, doomed));
             TestClient c = new TestClient(proxy.server().socket())) {
            c.handshake(MINOR);
            byte[] big = nar("x".repeat(3 << 20) + tmp);
            PathInfo lost = PathInfo.of(doomed, Hash.of(HashAlgorithm.SHA256, big), big.length, List.of()).sign(STORE, proxy.key());
            Optional<String> error = addToStoreNar(c, lost, big);
            assertTrue(error.isPresent() && error.get().contains(FailingMidway.MESSAGE), error.toString());
            assertFalse(isValid(c, doomed));

            byte[] small = nar("after the failure " + tmp);
            PathInfo next = PathInfo.of(path("after-failure"), Hash.of(HashAlgorithm.SHA256, small), small.length, List.of())
                    .sign(STORE, proxy.key());
            assertEquals(Optional.empty(), addToStoreNar(c, next, small));
            assertTrue(isValid(c, next.path()));
        }
    }

    /** The real NAR store, except that adding {@code doomed} fails after its first 256 KiB were read. */
    private record FailingMidway(NarService real, StorePath doomed) implements NarService {
        static final String MESSAGE = "the NAR store failed in the middle of the upload (injected)";

        @Override
        public PathBatch addPaths(Session session, boolean repair, boolean checkSigs) {
            PathBatch batch = real.addPaths(session, repair, checkSigs);
            return new PathBatch() {
                @Override
                public void add(PathInfo info, InputStream nar) {
                    if (info.path().equals(doomed)) {
                        try {
                            nar.readNBytes(256 << 10);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        throw new StoreException(MESSAGE);
                    }
                    batch.add(info, nar);
                }

                @Override
                public void finish() {
                    batch.finish();
                }

                @Override
                public void close() {
                    batch.close();
                }
            };
        }

        @Override
        public PathInfo addContentAddressed(Session session, String name, ContentAddressMethod method,
                                            HashAlgorithm hashAlgorithm, SortedSet<StorePath> references, InputStream data,
                                            boolean repair) {
            return real.addContentAddressed(session, name, method, hashAlgorithm, references, data, repair);
        }

        @Override
        public void narFromPath(StorePath path, OutputStream out) {
            real.narFromPath(path, out);
        }
    }

    /** AddToStoreNar at 1.34: the info, repair and dontCheckSigs, then the NAR in frames of 64 KiB. */
    private static Optional<String> addToStoreNar(TestClient c, PathInfo info, byte[] nar) throws IOException {
        c.out.writeNum(39);
        new WorkerCodec(STORE, ProtocolVersion.of(MINOR)).writePathInfo(c.out, info);
        c.out.writeBool(false).writeBool(false);
        for (int from = 0; from < nar.length; from += 64 << 10) {
            int len = Math.min(64 << 10, nar.length - from);
            c.out.writeNum(len);
            c.out.stream().write(nar, from, len);
        }
        c.out.writeNum(0);
        return c.readStderr();
    }

    private static boolean isValid(TestClient c, StorePath path) throws IOException {
        c.out.writeNum(1).writeString(STORE.print(path));
        Optional<String> error = c.readStderr();
        if (error.isPresent()) {
            throw new AssertionError(error.get());
        }
        return c.in.readNum() == 1;
    }

    /** An ImportPaths stream: each record after a 1, then a 0. */
    private static byte[] export(List<byte[]> records) throws IOException {
        ByteArrayOutputStream export = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(export);
        for (byte[] r : records) {
            w.writeNum(1);
            export.write(r);
        }
        w.writeNum(0);
        return export.toByteArray();
    }

    /** An export record without its leading 1: the NAR, the magic, the path, references, no deriver, no signature. */
    private static byte[] record(byte[] nar, StorePath path, List<StorePath> references) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(nar);
        WireWriter w = new WireWriter(out);
        w.writeNum(EXPORT_MAGIC).writeString(STORE.print(path));
        w.writeStrings(new TreeSet<>(references).stream().map(STORE::print).toList());
        w.writeString("").writeNum(0);
        return out.toByteArray();
    }

    private StorePath path(String name) {
        return STORE.makeStorePath("output:out", Hash.sha256(name + " " + tmp), name);
    }

    /** The NAR of a file holding {@code content}. */
    private byte[] nar(String content) throws IOException {
        Path file = Files.createTempFile(tmp, "file", "");
        Files.writeString(file, content);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NarWriter.dump(file, out);
        return out.toByteArray();
    }
}
