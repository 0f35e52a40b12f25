package dev.cumulus.functions;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/** A binary cache in an S3 bucket, named as Nix names one: {@code s3://BUCKET?region=…&endpoint=…}. */
public final class S3CacheSource implements CacheSource {
    private final URI uri;
    private final S3Bucket bucket;

    public S3CacheSource(URI uri, Duration stalled) {
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new IllegalArgumentException("'" + uri + "' names no bucket (s3://BUCKET?region=…)");
        }
        this.uri = uri;
        this.bucket = new S3Bucket(AwsClients.s3ForStoreUrl(uri, stalled), uri.getHost());
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        return bucket.open(key);
    }
}
