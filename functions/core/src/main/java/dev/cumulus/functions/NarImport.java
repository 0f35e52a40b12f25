package dev.cumulus.functions;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.cache.NarUpload;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.store.PathInfo;
import java.io.IOException;
import java.io.InputStream;

/**
 * A NAR from outside the store (an upstream cache, an upload) read into the store bucket, committed
 * only when it is exactly the NAR its narinfo promised: compressed by the store and named by its NAR
 * hash, or, already in the store's compression, as it is and named by its file hash. Either way a
 * file the bucket holds already (another path's, an earlier attempt's) is stored again with the same
 * bytes: that costs no extra request for the usual new NAR, and makes the object young, so the
 * collector's grace period covers it until its path registers.
 */
final class NarImport {
    private NarImport() {}

    /** The NAR stored, and its root file when the path is a derivation. */
    record Imported(NarObject object, byte[] rootFile) {}

    /** The NAR read is not the one promised: what it is instead. */
    static final class Mismatch extends IOException {
        final Hash narHash;
        final long narSize;

        Mismatch(Hash narHash, long narSize) {
            super("the NAR has hash " + narHash.toString(HashFormat.NIX32) + " and size " + narSize);
            this.narHash = narHash;
            this.narSize = narSize;
        }
    }

    /** The NAR checks, but its file is not the one its narinfo names. */
    static final class NotTheFile extends IOException {
        NotTheFile(Hash fileHash) {
            super("the file has hash " + fileHash.toString(HashFormat.NIX32) + ", not the one its narinfo gives");
        }
    }

    /**
     * Reads exactly one NAR off {@code nar} (decompressed already) into {@code store}.
     *
     * @throws Mismatch when its hash or size is not {@code expected}'s
     * @throws IOException when it is not a NAR, has data after its end, or cannot be stored
     */
    static Imported into(Bucket store, NarCompression compression, InputStream nar, PathInfo expected) throws IOException {
        String key = BinaryCacheLayout.narKey(expected.narHash(), compression);
        try (NarUpload upload = NarUpload.read(store, key, true, compression, nar, expected.path().isDerivation(), read -> { })) {
            if (nar.read() != -1) {
                throw new IOException("there is data after the end of the NAR");
            }
            checkNar(upload, expected);
            return commit(upload, key, compression);
        }
    }

    /**
     * Stores {@code file}, one NAR compressed as the store compresses, as it is (no second
     * compression) under the name Nix's caches give it, by {@code fileHash}: committed only when its
     * NAR is {@code expected}'s and the file's hash is {@code fileHash}.
     *
     * @throws Mismatch when the NAR's hash or size is not {@code expected}'s
     * @throws NotTheFile when the NAR checks but the file is not the one named (a cache's narinfo
     *     may misstate it, and Nix does not check it): stored as it is, it would be misnamed
     * @throws IOException when it is not a NAR, has data after its end, or cannot be stored
     */
    static Imported asIs(Bucket store, NarCompression compression, InputStream file, Hash fileHash, PathInfo expected)
            throws IOException {
        String key = BinaryCacheLayout.narFileKey(fileHash, compression);
        try (NarUpload upload = NarUpload.readAsIs(store, key, compression, file, expected.path().isDerivation())) {
            checkNar(upload, expected);
            if (!upload.fileHash().equals(fileHash)) {
                throw new NotTheFile(upload.fileHash());
            }
            return commit(upload, key, compression);
        }
    }

    private static void checkNar(NarUpload upload, PathInfo expected) throws Mismatch {
        if (!upload.narHash().equals(expected.narHash()) || upload.narSize() != expected.narSize()) {
            throw new Mismatch(upload.narHash(), upload.narSize());
        }
    }

    private static Imported commit(NarUpload upload, String key, NarCompression compression) throws IOException {
        upload.commit();
        return new Imported(new NarObject(key, compression.nixName(), upload.fileHash().toString(HashFormat.NIX32),
                upload.fileSize()), upload.rootFile().orElse(null));
    }
}
