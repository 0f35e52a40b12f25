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
 * A NAR from outside the store (an upstream cache, an upload) read into the store bucket under the
 * store's own key and compression, and committed only when it is exactly the NAR its narinfo
 * promised. Named by its NAR hash, so a NAR the bucket holds already (another path's, an earlier
 * attempt's) is stored again with the same bytes: that costs no extra request for the usual new
 * NAR, and makes the object young, so the collector's grace period covers it until its path
 * registers.
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
            if (!upload.narHash().equals(expected.narHash()) || upload.narSize() != expected.narSize()) {
                throw new Mismatch(upload.narHash(), upload.narSize());
            }
            upload.commit();
            return new Imported(new NarObject(key, compression.nixName(), upload.fileHash().toString(HashFormat.NIX32),
                    upload.fileSize()), upload.rootFile().orElse(null));
        }
    }
}
