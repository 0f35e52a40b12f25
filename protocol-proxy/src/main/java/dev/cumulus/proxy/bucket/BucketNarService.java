package dev.cumulus.proxy.bucket;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.TailHoldingOutputStream;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.io.TeeOutputStream;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.NarVisitor;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.proxy.backend.NarService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.SortedSet;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * NARs in the store bucket, laid out as a Nix binary cache. A path is added by streaming its NAR
 * into the bucket while checking it (syntax, hash, size), then registering it with the store
 * functions, then writing its narinfo ({@link BucketPathBatch}): so a path is valid only once its
 * NAR is wholly in the bucket, and a narinfo only describes a valid path. A NAR that fails its
 * checks is aborted and leaves no object; one that arrived whole but whose registration is refused
 * stays as a stray object for the garbage collector (another path with the same NAR may use it).
 */
public final class BucketNarService implements NarService {
    private static final Logger LOG = Logger.getLogger(BucketNarService.class.getName());
    private final Bucket bucket;
    private final StoreFunctionClient functions;
    private final NarLocator narLocator;
    private final Consumer<PathInfo> madeValid;
    private final StoreDir storeDir;
    private final NarCompression compression;
    private final Optional<SecretKey> signingKey;

    /** {@code madeValid} learns the info of each path this service made valid, as stored. */
    public BucketNarService(Bucket bucket, StoreFunctionClient functions, NarLocator narLocator, Consumer<PathInfo> madeValid,
                            StoreDir storeDir, NarCompression compression, Optional<SecretKey> signingKey) {
        this.bucket = bucket;
        this.functions = functions;
        this.narLocator = narLocator;
        this.madeValid = madeValid;
        this.storeDir = storeDir;
        this.compression = compression;
        this.signingKey = signingKey;
    }

    /** Writes {@code nix-cache-info} unless the bucket has one, so Nix can use the bucket as a substituter. */
    public void writeCacheInfo() {
        try {
            if (bucket.size(BinaryCacheLayout.CACHE_INFO).isEmpty()) {
                bucket.put(BinaryCacheLayout.CACHE_INFO,
                        BinaryCacheLayout.cacheInfo(storeDir, 40).getBytes(StandardCharsets.UTF_8), "text/x-nix-cache-info");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public PathBatch addPaths(Session session, boolean repair, boolean checkSigs) {
        return new BucketPathBatch(bucket, functions, storeDir, compression, signingKey, session, repair, checkSigs,
                (info, object) -> {
                    narLocator.remember(info.path(), object);
                    madeValid.accept(info);
                });
    }

    @Override
    public PathInfo addContentAddressed(Session session, String name, ContentAddressMethod method, HashAlgorithm hashAlgorithm,
                                        SortedSet<StorePath> references, InputStream data, boolean repair) {
        Path contents = null;
        Path nar = null;
        try {
            HashSink caHash = new HashSink(hashAlgorithm);
            HashSink narHash = new HashSink(HashAlgorithm.SHA256);
            if (method == ContentAddressMethod.NAR) {
                // The data is a NAR already: spool it while checking and hashing it.
                nar = Files.createTempFile("cumulus-ca", ".nar");
                try (OutputStream o = Files.newOutputStream(nar)) {
                    NarReader.read(new TeeInputStream(data, new TeeOutputStream(o, new TeeOutputStream(caHash, narHash))),
                            new NarVisitor() { });
                }
            } else {
                // Flat and text data is the file itself; its NAR is a single non-executable file.
                contents = Files.createTempFile("cumulus-ca", ".data");
                try (OutputStream o = Files.newOutputStream(contents)) {
                    new TeeInputStream(data, caHash).transferTo(o);
                }
                nar = Files.createTempFile("cumulus-ca", ".nar");
                try (OutputStream o = Files.newOutputStream(nar)) {
                    NarWriter.dump(contents, new TeeOutputStream(o, narHash));
                }
            }
            ContentAddress ca = new ContentAddress(method, caHash.finish());
            StorePath path;
            try {
                path = storeDir.makeFixedOutputPathFromCA(name, ca, references, false);
            } catch (IllegalArgumentException e) {
                throw new StoreException(e.getMessage());
            }
            PathInfo info = PathInfo.of(path, narHash.finish(), narHash.size(), references).withCa(Optional.of(ca));
            try (InputStream in = Files.newInputStream(nar)) {
                addPath(session, info, in, repair, true);
            }
            return info;
        } catch (IOException e) {
            throw new StoreException("adding '" + name + "': " + e.getMessage(), e);
        } finally {
            deleteQuietly(contents);
            deleteQuietly(nar);
        }
    }

    @Override
    public void narFromPath(StorePath path, OutputStream out) {
        NarObject remembered = narLocator.locate(path, false);
        Optional<InputStream> found = open(path, remembered);
        // A remembered object may have been collected (and the path added again since): ask the store.
        NarObject object = found.isPresent() ? remembered : narLocator.locate(path, true);
        if (found.isEmpty() && !object.equals(remembered)) {
            found = open(path, object);
        }
        if (found.isEmpty()) {
            throw damaged(path, object, "is missing from the bucket");
        }
        send(path, object, found.get(), out);
    }

    /**
     * Sends the object's NAR, checking the object against what the store recorded as it streams; the
     * NAR's last bytes go out only once it checks, so a client never receives a damaged NAR whole.
     */
    private void send(StorePath path, NarObject object, InputStream objectStream, OutputStream out) {
        HashSink fileHash = new HashSink(HashAlgorithm.SHA256);
        TailHoldingOutputStream toClient = new TailHoldingOutputStream(out, HELD_BYTES);
        try (InputStream stored = new TeeInputStream(objectStream, fileHash)) {
            InputStream nar;
            try {
                nar = NarCompression.parse(object.compression()).decompress(stored);
            } catch (IOException e) {
                throw unreadable(path, object, e);
            }
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = readObject(nar, buf, path, object)) >= 0; ) {
                toClient.write(buf, 0, n); // a failure here is the client's: the connection ends
            }
            while (readObject(stored, buf, path, object) >= 0) {
                // the whole object is hashed
            }
            Hash got = fileHash.finish();
            boolean sizeMatches = fileHash.size() == object.fileSize();
            if (!sizeMatches || (object.fileHash() != null && !got.equals(Hash.parseAny(object.fileHash())))) {
                throw damaged(path, object, "has " + fileHash.size() + " bytes with hash " + got.toString(HashFormat.NIX32)
                        + ", not the " + object.fileSize() + " bytes with hash " + object.fileHash() + " the store recorded");
            }
            toClient.release();
        } catch (IOException e) {
            throw new UncheckedIOException("sending the NAR of '" + storeDir.print(path) + "': " + e.getMessage(), e);
        }
    }

    /** Reads from the object (or its decompression): a failure is the object's, so it is damaged. */
    private int readObject(InputStream in, byte[] buf, StorePath path, NarObject object) {
        try {
            return in.read(buf);
        } catch (IOException e) {
            throw unreadable(path, object, e);
        }
    }

    private StoreException unreadable(StorePath path, NarObject object, IOException e) {
        return damaged(path, object, "cannot be read whole (" + e.getMessage() + ")");
    }

    /** A NAR's padding and closing parenthesis are 16 bytes at least: without them no reader finishes. */
    private static final int HELD_BYTES = 64;

    /** The object does not hold what the store recorded: logged with the path and object, and the operation ends. */
    private StoreException damaged(StorePath path, NarObject object, String how) {
        String message = "the NAR of '" + storeDir.print(path) + "' in the bucket (" + object.key() + ") " + how
                + "; it is damaged ('cumulus verify --check-contents' names such paths)";
        LOG.warning(message);
        return new StoreException(message);
    }

    private Optional<InputStream> open(StorePath path, NarObject object) {
        try {
            return bucket.open(object.key());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the NAR of '" + storeDir.print(path) + "': " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temporary file; the OS cleans its temp dir
            }
        }
    }
}
