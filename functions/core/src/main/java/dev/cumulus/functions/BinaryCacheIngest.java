package dev.cumulus.functions;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.HashPartQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.SingleFileCapture;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * A binary-cache upload straight into the store bucket ({@code nix copy --to http://…} against the
 * local stack, {@code s3://…} in AWS) becomes a store path: the bucket's object-created event for a
 * {@code <hash>.narinfo} lands here. The narinfo is checked (it parses and names its own key; its
 * NAR file is there and decompresses to the NAR hash and size it claims) and registered as an
 * untrusted upload, so the functions also demand a trusted signature (or a content address) and
 * valid references. A narinfo that fails is moved under {@code rejected/} with the reason beside it,
 * except for a missing reference: events come in no particular order, so that one is
 * {@link Outcome.Deferred} and left in place for the event to be delivered again. A realisation
 * uploaded the same way ({@code realisations/<id>.doi}, or Nix 2.35's {@code build-trace-v2/…}) is
 * registered as an untrusted one (a trusted key's signature needed), deferred while its output path
 * is not valid; a rejected one is moved aside too, and where the store already has a realisation
 * with that id, the store's is written back in its place, as is a valid path's narinfo in place of a
 * rejected one: an upload never takes away what the bucket serves for a valid path.
 */
public final class BinaryCacheIngest {
    private static final Logger LOG = Logger.getLogger(BinaryCacheIngest.class.getName());

    /** What became of one object. */
    public sealed interface Outcome {
        record Ignored() implements Outcome {}

        record AlreadyValid(String path) implements Outcome {}

        record Registered(String path) implements Outcome {}

        record Rejected(String reason) implements Outcome {}

        /** Not registered yet: a reference is not valid (its own narinfo's event may still be on its way). */
        record Deferred(String reason) implements Outcome {}
    }

    /** A realisation file is a few hundred bytes; anything much larger is not one. */
    static final int MAX_REALISATION_FILE = 64 * 1024;
    /**
     * Where a NAR file may lie: one plain name under {@code nar/}. A URL with {@code ..}, a query or
     * an escape means one object to S3 and another to an HTTP client, and a NAR outside {@code nar/}
     * could be a narinfo or anything else the bucket serves.
     */
    private static final Pattern NAR_URL = Pattern.compile("nar/[A-Za-z0-9+_=-][A-Za-z0-9+_=.-]*");

    private final Bucket bucket;
    private final StoreFunctions functions;
    private final StoreDir storeDir;

    public BinaryCacheIngest(Bucket bucket, StoreFunctions functions, StoreDir storeDir) {
        this.bucket = bucket;
        this.functions = functions;
        this.storeDir = storeDir;
    }

    /** Handles the creation of object {@code key}; anything but a top-level narinfo or a realisation is ignored. */
    public Outcome objectCreated(String key) throws IOException {
        Optional<DrvOutput> realisation = BinaryCacheLayout.realisationIdOfKey(key);
        if (realisation.isPresent()) {
            return realisationCreated(key, realisation.get());
        }
        String hashPart = BinaryCacheLayout.hashPartOfNarInfoKey(key);
        if (hashPart == null) {
            return new Outcome.Ignored();
        }
        Optional<InputStream> object = bucket.open(key);
        if (object.isEmpty()) {
            return new Outcome.Ignored(); // deleted since
        }
        byte[] text;
        try (InputStream in = object.get()) {
            text = in.readNBytes(BinaryCacheLayout.MAX_NARINFO_SIZE + 1);
        }
        try {
            if (text.length > BinaryCacheLayout.MAX_NARINFO_SIZE) {
                throw new Rejection("it is larger than " + BinaryCacheLayout.MAX_NARINFO_SIZE + " bytes");
            }
            return ingest(key, hashPart, new String(text, StandardCharsets.UTF_8));
        } catch (Rejection r) {
            setAside(key, text, BinaryCacheLayout.NARINFO_TYPE, r.getMessage());
            Optional<byte[]> own = storeNarInfo(hashPart);
            if (own.isPresent()) {
                // A rejected upload took a valid path's place: the store's own narinfo goes back.
                bucket.put(key, own.get(), BinaryCacheLayout.NARINFO_TYPE);
            } else {
                bucket.delete(key);
            }
            return new Outcome.Rejected(r.getMessage());
        }
    }

    /** The narinfo the store serves for the valid path with this hash part, if there is one. */
    private Optional<byte[]> storeNarInfo(String hashPart) {
        String path;
        try {
            path = functions.queryPathFromHashPart(new HashPartQuery(hashPart)).path();
        } catch (RuntimeException notAHashPart) {
            return Optional.empty();
        }
        return path == null ? Optional.empty() : storeNarInfo(functions.queryPathInfo(new PathQuery(path)));
    }

    private Optional<byte[]> storeNarInfo(PathInfoAnswer valid) {
        if (valid.info() == null || valid.nar() == null) {
            return Optional.empty();
        }
        NarInfo narInfo = valid.nar().narInfo(valid.info().toPathInfo(storeDir));
        return Optional.of(narInfo.render(storeDir).getBytes(StandardCharsets.UTF_8));
    }

    private Outcome realisationCreated(String key, DrvOutput id) throws IOException {
        Optional<InputStream> object = bucket.open(key);
        if (object.isEmpty()) {
            return new Outcome.Ignored();
        }
        byte[] file;
        try (InputStream in = object.get()) {
            file = in.readNBytes(MAX_REALISATION_FILE + 1);
        }
        String printedId = id.render(storeDir);
        Optional<Realisation> stored = Optional.ofNullable(functions.queryRealisation(new DrvOutputQuery(printedId))
                .realisation()).map(Realisation::fromJson);
        try {
            if (file.length > MAX_REALISATION_FILE) {
                throw new Rejection("it is larger than " + MAX_REALISATION_FILE + " bytes");
            }
            Realisation realisation;
            try {
                realisation = BinaryCacheLayout.parseRealisationFile(id, file);
            } catch (RuntimeException e) {
                throw new Rejection("it is not a valid realisation: " + e.getMessage());
            }
            if (stored.isPresent() && stored.get().outPath().equals(realisation.outPath())) {
                return new Outcome.AlreadyValid(printedId); // the store wrote it, or the same came twice
            }
            if (stored.isEmpty() && functions.queryPathInfo(new PathQuery(storeDir.print(realisation.outPath()))).info() == null) {
                return new Outcome.Deferred("its output path '" + storeDir.print(realisation.outPath()) + "' is not valid yet");
            }
            try {
                functions.registerDrvOutput(new RegisterRealisation(false, realisation.toJson()));
            } catch (StoreException e) {
                throw new Rejection(e.getMessage());
            }
            return new Outcome.Registered(printedId);
        } catch (Rejection r) {
            setAside(key, file, "application/json", r.getMessage());
            if (stored.isPresent()) {
                bucket.put(key, BinaryCacheLayout.realisationFile(stored.get()), BinaryCacheLayout.REALISATION_TYPE);
            } else {
                bucket.delete(key);
            }
            return new Outcome.Rejected(r.getMessage());
        }
    }

    private Outcome ingest(String key, String hashPart, String text) throws IOException {
        NarInfo narInfo;
        try {
            narInfo = NarInfo.parse(storeDir, text);
        } catch (RuntimeException e) {
            throw new Rejection("it is not a valid narinfo: " + e.getMessage());
        }
        PathInfo info = narInfo.info();
        String path = storeDir.print(info.path());
        if (!info.path().hashPart().equals(hashPart)) {
            throw new Rejection("it describes '" + path + "', whose narinfo is not " + hashPart + ".narinfo");
        }
        PathInfoAnswer stored = functions.queryPathInfo(new PathQuery(path));
        PathInfoEvent existing = stored.info();
        if (existing != null && Hash.parseAny(existing.narHash()).equals(info.narHash())) {
            // The store wrote it, or the same path came twice, or someone else's narinfo for it (other
            // signatures, another URL): the bucket serves the store's narinfo for a valid path.
            Optional<byte[]> own = storeNarInfo(stored);
            if (own.isPresent() && !Arrays.equals(own.get(), text.getBytes(StandardCharsets.UTF_8))) {
                bucket.put(key, own.get(), BinaryCacheLayout.NARINFO_TYPE);
                LOG.info(() -> "wrote the store's narinfo of '" + path + "' in place of an upload for the same NAR");
            }
            return new Outcome.AlreadyValid(path);
        }
        if (!NAR_URL.matcher(narInfo.url()).matches() || narInfo.url().contains("..")) {
            throw new Rejection("its URL '" + narInfo.url() + "' is not a NAR file's key in this bucket (nar/<name>)");
        }
        NarCompression compression;
        try {
            compression = NarCompression.parse(narInfo.compression());
        } catch (IllegalArgumentException e) {
            throw new Rejection(e.getMessage());
        }
        Checked nar = check(narInfo, compression);
        if (!nar.narHash().equals(info.narHash()) || nar.narSize() != info.narSize()) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' holds a NAR with hash "
                    + nar.narHash().toString(HashFormat.NIX32) + " and size " + nar.narSize() + ", not "
                    + info.narHash().toString(HashFormat.NIX32) + " and " + info.narSize());
        }
        if (narInfo.fileHash().isPresent() && !narInfo.fileHash().get().equals(nar.fileHash())) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' does not have the FileHash it claims");
        }
        NarObject object = new NarObject(narInfo.url(), compression.nixName(), nar.fileHash().toString(HashFormat.NIX32),
                nar.fileSize());
        try {
            functions.registerPaths(new RegisterPaths(false, true, List.of(new NewPath(PathInfoEvent.of(storeDir, info), object,
                    NewPath.derivationOutputs(storeDir, info.path(), nar.rootFile())))));
        } catch (MissingReferenceException e) {
            return new Outcome.Deferred(e.getMessage());
        } catch (StoreException e) {
            throw new Rejection(e.getMessage());
        }
        return new Outcome.Registered(path);
    }

    private record Checked(Hash narHash, long narSize, Hash fileHash, long fileSize, byte[] rootFile) {}

    /** Reads the NAR file once: the compressed bytes' hash and size, and the NAR's, checking its syntax. */
    private Checked check(NarInfo narInfo, NarCompression compression) throws IOException {
        Optional<InputStream> file = bucket.open(narInfo.url());
        if (file.isEmpty()) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' is not in the bucket");
        }
        HashSink fileHash = new HashSink(HashAlgorithm.SHA256);
        HashSink narHash = new HashSink(HashAlgorithm.SHA256);
        boolean drv = narInfo.info().path().isDerivation();
        SingleFileCapture rootFile = new SingleFileCapture(drv ? SingleFileCapture.DERIVATION_LIMIT : -1);
        try (InputStream compressed = new TeeInputStream(file.get(), fileHash); InputStream nar = new TeeInputStream(compression.decompress(compressed), narHash)) {
            NarReader.read(nar, rootFile);
            if (nar.read() != -1) {
                throw new Rejection("its NAR file '" + narInfo.url() + "' has data after the NAR");
            }
            compressed.transferTo(OutputStream.nullOutputStream()); // the whole file is hashed
        } catch (Rejection r) {
            throw r;
        } catch (IOException e) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' does not hold a valid NAR: " + e.getMessage());
        }
        return new Checked(narHash.finish(), narHash.size(), fileHash.finish(), fileHash.size(),
                rootFile.contents().orElse(null));
    }

    /** Keeps a rejected upload under {@code rejected/}, with the reason beside it. */
    private void setAside(String key, byte[] content, String contentType, String reason) throws IOException {
        LOG.log(Level.WARNING, "rejected " + key + ": " + reason);
        bucket.put(BinaryCacheLayout.REJECTED_PREFIX + key, content, contentType);
        bucket.put(BinaryCacheLayout.REJECTED_PREFIX + key + ".reason", (reason + "\n").getBytes(StandardCharsets.UTF_8),
                "text/plain");
    }

    /** Why a narinfo is not registered. */
    private static final class Rejection extends IOException {
        Rejection(String message) {
            super(message);
        }
    }
}
