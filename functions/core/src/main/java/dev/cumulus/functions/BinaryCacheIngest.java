package dev.cumulus.functions;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Binary-cache uploads ({@code nix copy --to s3://…} or {@code http://…}) land in the uploads bucket,
 * never in the store's: the uploads bucket's object-created event for a {@code <hash>.narinfo} lands
 * here. The narinfo is checked (it parses and names its own key; its NAR file is in the uploads
 * bucket under {@code nar/} and decompresses to the NAR hash and size it claims, and to the FileHash
 * it claims) and the NAR copied into the store bucket in the store's own key and compression
 * ({@link NarImport}); then the path is registered as an untrusted upload, so the functions also
 * demand a trusted signature (or a content address) and valid references, and only then does the
 * store write its narinfo. An upload can therefore never replace or remove what the store bucket
 * serves: nothing an uploader writes is served as it is.
 *
 * <p>An accepted narinfo is removed from the uploads bucket (its NAR file expires with the bucket's
 * lifecycle); one that fails is moved under {@code rejected/} there with the reason beside it,
 * except for a missing reference: events come in no particular order, so that one is
 * {@link Outcome.Deferred} and left in place for the event to be delivered again. A realisation
 * uploaded the same way ({@code realisations/<id>.doi}, or Nix 2.35's {@code build-trace-v2/…}) is
 * registered as an untrusted one (a trusted key's signature needed), deferred while its output path
 * is not valid, and the store writes its own copy; a rejected one is moved aside too.
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

    private final Bucket uploads;
    private final Bucket store;
    private final StoreFunctions functions;
    private final StoreDir storeDir;
    private final NarCompression compression;

    /** Reads and clears {@code uploads}; writes into {@code store}, NARs in the store's {@code compression}. */
    public BinaryCacheIngest(Bucket uploads, Bucket store, StoreFunctions functions, StoreDir storeDir,
                             NarCompression compression) {
        this.uploads = uploads;
        this.store = store;
        this.functions = functions;
        this.storeDir = storeDir;
        this.compression = compression;
    }

    /** Handles the upload of object {@code key}; anything but a top-level narinfo or a realisation is ignored. */
    public Outcome objectCreated(String key) throws IOException {
        Optional<DrvOutput> realisation = BinaryCacheLayout.realisationIdOfKey(key);
        if (realisation.isPresent()) {
            return realisationCreated(key, realisation.get());
        }
        String hashPart = BinaryCacheLayout.hashPartOfNarInfoKey(key);
        if (hashPart == null) {
            return new Outcome.Ignored();
        }
        Optional<InputStream> object = uploads.open(key);
        if (object.isEmpty()) {
            return new Outcome.Ignored(); // handled or deleted since
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
            return new Outcome.Rejected(r.getMessage());
        }
    }

    private Outcome realisationCreated(String key, DrvOutput id) throws IOException {
        Optional<InputStream> object = uploads.open(key);
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
                uploads.delete(key);
                return new Outcome.AlreadyValid(printedId);
            }
            if (stored.isEmpty() && functions.queryPathInfo(new PathQuery(storeDir.print(realisation.outPath()))).info() == null) {
                return new Outcome.Deferred("its output path '" + storeDir.print(realisation.outPath()) + "' is not valid yet");
            }
            try {
                functions.registerDrvOutput(new RegisterRealisation(false, realisation.toJson()));
            } catch (StoreException e) {
                throw new Rejection(e.getMessage());
            }
            store.put(key, BinaryCacheLayout.realisationFile(realisation), BinaryCacheLayout.REALISATION_TYPE);
            uploads.delete(key);
            return new Outcome.Registered(printedId);
        } catch (Rejection r) {
            setAside(key, file, BinaryCacheLayout.REALISATION_TYPE, r.getMessage());
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
        PathInfoEvent existing = functions.queryPathInfo(new PathQuery(path)).info();
        if (existing != null) {
            if (!Hash.parseAny(existing.narHash()).equals(info.narHash())) {
                throw new Rejection("path '" + path + "' is already valid with NAR hash " + existing.narHash() + ", not "
                        + info.narHash());
            }
            // The same path came twice, or with other signatures or another URL: the store has it.
            uploads.delete(key);
            return new Outcome.AlreadyValid(path);
        }
        if (!NAR_URL.matcher(narInfo.url()).matches() || narInfo.url().contains("..")) {
            throw new Rejection("its URL '" + narInfo.url() + "' is not a NAR file's key in this bucket (nar/<name>)");
        }
        NarCompression fileCompression;
        try {
            fileCompression = NarCompression.parse(narInfo.compression());
        } catch (IllegalArgumentException e) {
            throw new Rejection(e.getMessage());
        }
        long writtenSince = System.currentTimeMillis(); // the store's copy of the NAR is written from here on
        NarImport.Imported nar = importNar(narInfo, fileCompression);
        Registered registered;
        try {
            registered = functions.registerPaths(new RegisterPaths(false, true, List.of(new NewPath(PathInfoEvent.of(storeDir, info),
                    nar.object(), NewPath.derivationOutputs(storeDir, info.path(), nar.rootFile()))), null, writtenSince));
        } catch (MissingReferenceException e) {
            return new Outcome.Deferred(e.getMessage()); // the NAR stays stored: the next delivery stores it again
        } catch (StoreException e) {
            throw new Rejection(e.getMessage());
        }
        // The registration answers with the info as stored; only a path another registration made valid
        // meanwhile is read back.
        if (!registered.infos().isEmpty()) {
            BinaryCacheLayout.putNarInfo(store, storeDir, nar.object().narInfo(registered.infos().getFirst().toPathInfo(storeDir)));
        } else {
            PathInfoAnswer stored = functions.queryPathInfo(new PathQuery(path));
            if (stored.info() != null && stored.nar() != null) {
                BinaryCacheLayout.putNarInfo(store, storeDir, stored.nar().narInfo(stored.info().toPathInfo(storeDir)));
            }
        }
        uploads.delete(key);
        return new Outcome.Registered(path);
    }

    /**
     * Reads the upload's NAR file once into the store bucket ({@link NarImport}), checking the NAR's
     * syntax, hash and size, and the compressed file's hash where the narinfo gives one.
     */
    private NarImport.Imported importNar(NarInfo narInfo, NarCompression fileCompression) throws IOException {
        Optional<InputStream> file = uploads.open(narInfo.url());
        if (file.isEmpty()) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' is not in the bucket");
        }
        HashSink fileHash = new HashSink(HashAlgorithm.SHA256);
        NarImport.Imported imported;
        try (InputStream compressed = new TeeInputStream(file.get(), fileHash);
             InputStream nar = fileCompression.decompress(compressed)) {
            imported = NarImport.into(store, compression, nar, narInfo.info());
            compressed.transferTo(OutputStream.nullOutputStream()); // the whole file is hashed
        } catch (NarImport.Mismatch m) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' holds a NAR with hash "
                    + m.narHash.toString(HashFormat.NIX32) + " and size " + m.narSize + ", not "
                    + narInfo.info().narHash().toString(HashFormat.NIX32) + " and " + narInfo.info().narSize());
        } catch (IOException e) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' does not hold a valid NAR: " + e.getMessage());
        }
        if (narInfo.fileHash().isPresent() && !narInfo.fileHash().get().equals(fileHash.finish())) {
            throw new Rejection("its NAR file '" + narInfo.url() + "' does not have the FileHash it claims");
        }
        return imported;
    }

    /** Moves a rejected upload under {@code rejected/} in the uploads bucket, with the reason beside it. */
    private void setAside(String key, byte[] content, String contentType, String reason) throws IOException {
        LOG.log(Level.WARNING, "rejected " + key + ": " + reason);
        uploads.put(BinaryCacheLayout.REJECTED_PREFIX + key, content, contentType);
        uploads.put(BinaryCacheLayout.REJECTED_PREFIX + key + ".reason", (reason + "\n").getBytes(StandardCharsets.UTF_8),
                "text/plain");
        uploads.delete(key);
    }

    /** Why a narinfo is not registered. */
    private static final class Rejection extends IOException {
        Rejection(String message) {
            super(message);
        }
    }
}
