package dev.cumulus.model.cache;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;

/**
 * Where things lie in a Nix binary cache, so that any Nix reads the store bucket as a substituter:
 * {@code nix-cache-info}, {@code <hash>.narinfo}, {@code nar/<hash>.nar<ext>} and
 * {@code realisations/<id>.doi}.
 */
public final class BinaryCacheLayout {
    public static final String CACHE_INFO = "nix-cache-info";
    public static final String NARINFO_TYPE = "text/x-nix-narinfo";
    public static final String NAR_TYPE = "application/x-nix-nar";
    /** Where narinfos that failed the ingest checks are moved, with a {@code .reason} object beside each. */
    public static final String REJECTED_PREFIX = "rejected/";

    private BinaryCacheLayout() {}

    public static String cacheInfo(StoreDir storeDir, int priority) {
        return "StoreDir: " + storeDir.path() + "\nWantMassQuery: 1\nPriority: " + priority + "\n";
    }

    public static String narInfoKey(StorePath path) {
        return path.hashPart() + ".narinfo";
    }

    /** The hash part a narinfo key names, or null when {@code key} is not a narinfo's key. */
    public static String hashPartOfNarInfoKey(String key) {
        if (!key.endsWith(".narinfo") || key.contains("/")) {
            return null;
        }
        return key.substring(0, key.length() - ".narinfo".length());
    }

    /**
     * A NAR file's key. Cumulus names NAR files by the NAR's own hash (Nix names them by the
     * compressed file's hash): the name is then known before the upload starts, so the upload can
     * stream straight to its final key, and identical NARs are stored once.
     */
    /** A build log as Nix's binary cache stores it ({@code nix log} reads it): {@code log/<drv base name>}. */
    public static String logKey(StorePath drvPath) {
        return "log/" + drvPath.baseName();
    }

    public static String narKey(Hash narHash, NarCompression compression) {
        return "nar/" + narHash.encode(HashFormat.NIX32) + ".nar" + compression.extension();
    }

    /** Nix 2.8 to 2.34 look realisations up by the hash-keyed id. */
    public static String realisationKey(DrvOutput.ByHash id) {
        return "realisations/" + id.render() + ".doi";
    }
}
