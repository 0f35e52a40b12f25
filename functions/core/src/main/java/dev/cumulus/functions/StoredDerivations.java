package dev.cumulus.functions;

import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.SingleFileCapture;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * The derivations the store holds, read from their NARs in the bucket, and the hashes modulo Nix
 * keys realisations by ({@code sha256:<hash>!out}). A derivation's hash never changes, so the
 * hashes of the most recently asked derivations are kept.
 */
public final class StoredDerivations {
    private static final int KEPT_HASHES = 10_000;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final Map<StorePath, SortedMap<String, Hash>> outputHashes = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StorePath, SortedMap<String, Hash>> eldest) {
            return size() > KEPT_HASHES;
        }
    };

    public StoredDerivations(StoreTables tables, Bucket bucket, StoreDir storeDir) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
    }

    /** The valid derivation {@code drvPath}, parsed. */
    public Derivation read(StorePath drvPath) {
        String printed = storeDir.print(drvPath);
        NarObject nar = tables.paths().get(drvPath)
                .orElseThrow(() -> new StoreException("path '" + printed + "' is not valid"))
                .nar().orElseThrow(() -> new StoreException("path '" + printed + "' has no NAR in the bucket"));
        SingleFileCapture file = new SingleFileCapture(SingleFileCapture.DERIVATION_LIMIT);
        try (InputStream object = bucket.open(nar.key())
                .orElseThrow(() -> new StoreException("the NAR of '" + printed + "' (" + nar.key() + ") is missing"));
             InputStream in = NarCompression.parse(nar.compression()).decompress(object)) {
            NarReader.read(in, file);
            byte[] contents = file.contents().orElseThrow(() -> new IOException("it is not a single file"));
            return Derivation.parse(storeDir, Derivation.nameFromDrvPath(drvPath), contents);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreException("'" + printed + "' is not a derivation: " + e.getMessage());
        }
    }

    /** Each output's hash modulo (Nix's {@code staticOutputHashes}), reading the input derivations it needs. */
    public SortedMap<String, Hash> outputHashes(StorePath drvPath) {
        synchronized (outputHashes) {
            SortedMap<String, Hash> known = outputHashes.get(drvPath);
            if (known != null) {
                return known;
            }
        }
        SortedMap<String, Hash> hashes = new DerivationHasher(storeDir, this::read).hashModulo(read(drvPath), true)
                .outputHashes();
        synchronized (outputHashes) {
            outputHashes.put(drvPath, hashes);
        }
        return hashes;
    }
}
