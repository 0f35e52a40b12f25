package dev.cumulus.functions;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.CacheInfo;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The binary caches this store substitutes from ({@code CUMULUS_SUBSTITUTERS}), asked as Nix asks
 * its substituters: in the priority their {@code nix-cache-info} gives (then in the configured
 * order), skipping a cache whose store directory is another; and only what the store's trusted keys
 * accept: a narinfo signed by one of them, or one whose content address checks (the path follows
 * from its contents), and a realisation signed by one of them.
 */
public final class Substituters {
    private static final Logger LOG = Logger.getLogger(Substituters.class.getName());
    /** Larger files are not narinfos or realisations: a cache that serves one is misbehaving. */
    private static final int MAX_SMALL_FILE = 1 << 20;
    private static final Duration KEEP_FOUND = Duration.ofMinutes(10);

    /** A cache that has the path, and its narinfo. */
    public record Offer(CacheSource cache, NarInfo narInfo) {}

    /** The first trusted offer, or why there is none: one reason per cache that had something to say. */
    public record Lookup(Optional<Offer> offer, List<String> reasons) {
        public String whyNot() {
            return reasons.isEmpty() ? "no substituter has it" : String.join("; ", reasons);
        }
    }

    private record Found(Offer offer, long until) {}

    private final List<URI> urls;
    private final List<PublicKey> trustedKeys;
    private final StoreDir storeDir;
    private final Function<URI, CacheSource> sources;
    private final Map<StorePath, Found> found = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StorePath, Found> eldest) {
            return size() > 100_000;
        }
    };
    private volatile List<CacheSource> caches;

    public Substituters(List<URI> urls, List<PublicKey> trustedKeys, StoreDir storeDir, Function<URI, CacheSource> sources) {
        this.urls = List.copyOf(urls);
        this.trustedKeys = List.copyOf(trustedKeys);
        this.storeDir = storeDir;
        this.sources = sources;
    }

    /** Over HTTP(S) and S3, downloads given up after {@code stalled} without a byte. */
    public static Substituters of(List<URI> urls, List<PublicKey> trustedKeys, StoreDir storeDir, Duration stalled) {
        return new Substituters(urls, trustedKeys, storeDir, uri -> switch (uri.getScheme()) {
            case "http", "https" -> new HttpCacheSource(uri, stalled);
            case "s3" -> new S3CacheSource(uri, stalled);
            default -> throw new IllegalArgumentException("substituter '" + uri + "': only http://, https:// and s3:// "
                    + "binary caches are supported");
        });
    }

    public boolean isEmpty() {
        return urls.isEmpty();
    }

    /** What the caches offer for {@code path}, the first trusted offer in priority order. */
    public Lookup lookup(StorePath path) {
        long now = System.currentTimeMillis();
        synchronized (found) {
            Found f = found.get(path);
            if (f != null && f.until() > now) {
                return new Lookup(Optional.of(f.offer()), List.of());
            }
        }
        List<String> reasons = new ArrayList<>();
        for (CacheSource cache : caches()) {
            Optional<String> text;
            try {
                text = small(cache, BinaryCacheLayout.narInfoKey(path));
            } catch (IOException e) {
                reasons.add("'" + cache.uri() + "': " + e.getMessage());
                continue;
            }
            if (text.isEmpty()) {
                continue;
            }
            NarInfo narInfo;
            try {
                narInfo = NarInfo.parse(storeDir, text.get());
            } catch (IllegalArgumentException e) {
                reasons.add("'" + cache.uri() + "' has an invalid narinfo for it: " + e.getMessage());
                continue;
            }
            PathInfo info = narInfo.info();
            if (!info.path().equals(path)) {
                reasons.add("'" + cache.uri() + "' answers for '" + storeDir.print(path) + "' with the narinfo of '"
                        + storeDir.print(info.path()) + "'");
                continue;
            }
            if (info.countValidSignatures(storeDir, trustedKeys) == 0 && !info.isContentAddressed(storeDir)) {
                // Nix's warning: the substitute is not signed by any of the keys in trusted-public-keys.
                reasons.add("the substitute for '" + storeDir.print(path) + "' from '" + cache.uri()
                        + "' is not signed by any of the keys in CUMULUS_TRUSTED_PUBLIC_KEYS");
                continue;
            }
            try {
                NarCompression.parse(narInfo.compression());
            } catch (IllegalArgumentException e) {
                reasons.add("'" + cache.uri() + "': " + e.getMessage());
                continue;
            }
            Offer offer = new Offer(cache, narInfo);
            synchronized (found) {
                found.put(path, new Found(offer, now + KEEP_FOUND.toMillis()));
            }
            return new Lookup(Optional.of(offer), reasons);
        }
        return new Lookup(Optional.empty(), reasons);
    }

    /** A realisation some cache has under {@code id}, signed by a trusted key. */
    public Optional<Realisation> realisation(DrvOutput id) {
        for (CacheSource cache : caches()) {
            try {
                Optional<String> text = small(cache, BinaryCacheLayout.realisationKey(id));
                if (text.isEmpty()) {
                    continue;
                }
                Realisation r = BinaryCacheLayout.parseRealisationFile(id, text.get().getBytes(StandardCharsets.UTF_8));
                if (r.isSignedBy(trustedKeys)) {
                    return Optional.of(r);
                }
                LOG.warning(() -> "the realisation of '" + id.render(storeDir) + "' from '" + cache.uri()
                        + "' is not signed by a trusted key");
            } catch (IOException | IllegalArgumentException e) {
                LOG.log(Level.WARNING, "reading the realisation of '" + id.render(storeDir) + "' from '" + cache.uri() + "'", e);
            }
        }
        return Optional.empty();
    }

    /** The offered NAR's file as the cache stores it (compressed as its narinfo says). */
    public InputStream file(Offer offer) throws IOException {
        String url = offer.narInfo().url();
        return offer.cache().open(url).orElseThrow(() -> new IOException("'" + offer.cache().uri()
                + "' lists '" + url + "' for '" + storeDir.print(offer.narInfo().info().path()) + "' but does not have it"));
    }

    /** The NAR an offer names, decompressed as it is read. */
    public InputStream nar(Offer offer) throws IOException {
        InputStream file = file(offer);
        try {
            return NarCompression.parse(offer.narInfo().compression()).decompress(file);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The caches in the order they are asked; one whose nix-cache-info cannot be read now is left out this time. */
    private List<CacheSource> caches() {
        List<CacheSource> known = caches;
        if (known != null) {
            return known;
        }
        record Ranked(CacheSource cache, int priority, int index) {}
        List<Ranked> ranked = new ArrayList<>();
        boolean complete = true;
        for (int i = 0; i < urls.size(); i++) {
            URI url = urls.get(i);
            try {
                CacheSource cache = sources.apply(url);
                Optional<String> text = small(cache, BinaryCacheLayout.CACHE_INFO);
                CacheInfo info = text.map(CacheInfo::parse).orElse(new CacheInfo(storeDir.path(), false,
                        CacheInfo.DEFAULT_PRIORITY));
                if (!info.storeDir().equals(storeDir.path())) {
                    LOG.warning(() -> "substituter '" + url + "' is for store '" + info.storeDir() + "', not '"
                            + storeDir.path() + "': not used");
                    continue;
                }
                ranked.add(new Ranked(cache, info.priority(), i));
            } catch (IOException | RuntimeException e) {
                complete = false;
                LOG.log(Level.WARNING, "substituter '" + url + "' is not usable now: " + e.getMessage());
            }
        }
        List<CacheSource> ordered = ranked.stream().sorted(Comparator.comparingInt(Ranked::priority)
                .thenComparingInt(Ranked::index)).map(Ranked::cache).toList();
        if (complete) {
            caches = ordered;
        }
        return ordered;
    }

    private static Optional<String> small(CacheSource cache, String key) throws IOException {
        Optional<InputStream> in = cache.open(key);
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            byte[] bytes = s.readNBytes(MAX_SMALL_FILE + 1);
            if (bytes.length > MAX_SMALL_FILE) {
                throw new IOException("'" + cache.uri() + "/" + key + "' is larger than " + MAX_SMALL_FILE + " bytes");
            }
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
