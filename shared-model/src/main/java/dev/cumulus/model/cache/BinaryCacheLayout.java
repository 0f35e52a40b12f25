package dev.cumulus.model.cache;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Where things lie in a Nix binary cache, so that any Nix reads the store bucket as a substituter:
 * {@code nix-cache-info}, {@code <hash>.narinfo}, {@code nar/<hash>.nar<ext>}, and realisations at
 * {@code realisations/<sha256:…!out>.doi} (Nix up to 2.34) and
 * {@code build-trace-v2/<drv base name>/<output>.doi} (Nix 2.35).
 */
public final class BinaryCacheLayout {
    public static final String CACHE_INFO = "nix-cache-info";
    public static final String NARINFO_TYPE = "text/x-nix-narinfo";
    public static final String NAR_TYPE = "application/x-nix-nar";
    public static final String REALISATION_TYPE = "application/json";
    /** Where, in the uploads bucket, uploads that failed the ingest's checks are moved, a {@code .reason} beside each. */
    public static final String REJECTED_PREFIX = "rejected/";
    /** A narinfo with thousands of references is some hundred kilobytes; anything larger is not one. */
    public static final int MAX_NARINFO_SIZE = 4 * 1024 * 1024;

    private BinaryCacheLayout() {}

    public static String cacheInfo(StoreDir storeDir, int priority) {
        return "StoreDir: " + storeDir.path() + "\nWantMassQuery: 1\nPriority: " + priority + "\n";
    }

    public static String narInfoKey(StorePath path) {
        return path.hashPart() + ".narinfo";
    }

    /** Puts {@code narInfo} where a binary cache serves it: the one way every writer of the store does. */
    public static void putNarInfo(Bucket bucket, StoreDir storeDir, NarInfo narInfo) throws IOException {
        bucket.put(narInfoKey(narInfo.info().path()), narInfo.render(storeDir).getBytes(StandardCharsets.UTF_8), NARINFO_TYPE);
    }

    /** The hash part a narinfo key names, or null when {@code key} is not a narinfo's key. */
    public static String hashPartOfNarInfoKey(String key) {
        if (!key.endsWith(".narinfo") || key.contains("/")) {
            return null;
        }
        return key.substring(0, key.length() - ".narinfo".length());
    }

    /** A build log as Nix's binary cache stores it ({@code nix log} reads it): {@code log/<drv base name>}. */
    public static String logKey(StorePath drvPath) {
        return LOG_PREFIX + drvPath.baseName();
    }

    /** Where the build logs are: every {@link #logKey} starts so. */
    public static final String LOG_PREFIX = "log/";

    /** Where the NAR files are: every {@link #narKey} starts so. */
    public static final String NAR_PREFIX = "nar/";

    /**
     * A NAR file's key. Cumulus names NAR files by the NAR's own hash (Nix names them by the
     * compressed file's hash): the name is then known before the upload starts, so the upload can
     * stream straight to its final key, and identical NARs are stored once.
     */
    public static String narKey(Hash narHash, NarCompression compression) {
        return NAR_PREFIX + narHash.encode(HashFormat.NIX32) + ".nar" + compression.extension();
    }

    /**
     * A NAR file stored as another cache compressed it, named as Nix's binary caches name their
     * files: by the file's hash (the store's own files are named by the NAR's hash, {@link #narKey}).
     */
    public static String narFileKey(Hash fileHash, NarCompression compression) {
        return NAR_PREFIX + fileHash.encode(HashFormat.NIX32) + ".nar" + compression.extension();
    }

    /** Nix 2.8 to 2.34 look realisations up by the hash-keyed id. */
    public static final String REALISATIONS_PREFIX = "realisations/";
    /** Nix 2.35 looks them up by derivation path and output name: its "build trace". */
    public static final String BUILD_TRACE_PREFIX = "build-trace-v2/";
    private static final String DOI = ".doi";

    /** Where a realisation with this id lies. */
    public static String realisationKey(DrvOutput id) {
        return switch (id) {
            case DrvOutput.ByHash h -> REALISATIONS_PREFIX + h.render() + DOI;
            case DrvOutput.ByPath p -> BUILD_TRACE_PREFIX + p.drvPath().baseName() + "/" + p.outputName() + DOI;
        };
    }

    /** The realisation's file: Nix's JSON with its id for the hash-keyed form, without (the key says it) for Nix 2.35's. */
    public static byte[] realisationFile(Realisation realisation) {
        String json = switch (realisation.id()) {
            case DrvOutput.ByHash h -> realisation.toJsonString();
            case DrvOutput.ByPath p -> realisation.toUnkeyedJsonString();
        };
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** The id whose realisation {@code key} holds, or empty when {@code key} is not a realisation's. */
    public static Optional<DrvOutput> realisationIdOfKey(String key) {
        if (!key.endsWith(DOI)) {
            return Optional.empty();
        }
        String id = key.substring(0, key.length() - DOI.length());
        try {
            if (id.startsWith(REALISATIONS_PREFIX) && !id.substring(REALISATIONS_PREFIX.length()).contains("/")) {
                DrvOutput.ByHash parsed = DrvOutput.ByHash.parse(id.substring(REALISATIONS_PREFIX.length()));
                return parsed.render().equals(id.substring(REALISATIONS_PREFIX.length())) ? Optional.of(parsed) : Optional.empty();
            }
            if (id.startsWith(BUILD_TRACE_PREFIX)) {
                String[] parts = id.substring(BUILD_TRACE_PREFIX.length()).split("/", -1);
                if (parts.length == 2) {
                    return Optional.of(new DrvOutput.ByPath(StorePath.parseBaseName(parts[0]), parts[1]));
                }
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The realisation in {@code file}, found at the key of {@code id}. */
    public static Realisation parseRealisationFile(DrvOutput id, byte[] file) {
        String json = new String(file, StandardCharsets.UTF_8);
        Realisation r = switch (id) {
            case DrvOutput.ByHash h -> Realisation.fromJson(json);
            case DrvOutput.ByPath p -> Realisation.fromUnkeyedJson(p, json);
        };
        if (!r.id().equals(id)) {
            throw new IllegalArgumentException("the realisation of '" + r.id().render(StoreDir.DEFAULT) + "' lies where '"
                    + id.render(StoreDir.DEFAULT) + "' belongs");
        }
        return r;
    }
}
