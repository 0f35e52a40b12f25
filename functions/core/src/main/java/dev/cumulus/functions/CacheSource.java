package dev.cumulus.functions;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Optional;

/**
 * An upstream binary cache's files, read by key ({@code nix-cache-info}, {@code <hash>.narinfo},
 * {@code nar/…}, {@code realisations/…}): over HTTP(S) ({@link HttpCacheSource}) or from S3.
 */
public interface CacheSource {
    /** The cache's URL as configured, for messages. */
    URI uri();

    /**
     * The file as a stream, or empty when the cache has no such file. A cache that cannot be reached
     * or answers with an error is an {@link IOException} naming it; so is a download that stalls.
     */
    Optional<InputStream> open(String key) throws IOException;
}
