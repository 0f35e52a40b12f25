package dev.cumulus.functions;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * A binary cache over HTTP(S), as Nix's {@code http://} and {@code https://} stores read one: GET
 * each file; 404 (and 403, which S3 answers for a missing key without list rights) means absent.
 * A connection gets {@code stalled} to answer and, once answering, no more than {@code stalled}
 * between two reads (Nix's {@code stalled-download-timeout}), so a hung upstream ends in an error.
 * Connections are kept alive between requests (a walk asks for thousands of narinfos; over HTTPS
 * each new connection is a TLS handshake): an answer is read to its end or closed, never torn
 * down, unless it failed.
 */
public final class HttpCacheSource implements CacheSource {
    private static final Duration CONNECT = Duration.ofSeconds(10);

    private final URI uri;
    private final Duration stalled;

    public HttpCacheSource(URI uri, Duration stalled) {
        this.uri = uri;
        this.stalled = stalled;
    }

    @Override
    public URI uri() {
        return uri;
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        String base = uri.toString().endsWith("/") ? uri.toString() : uri + "/";
        URI file = URI.create(base + key);
        HttpURLConnection c = (HttpURLConnection) file.toURL().openConnection();
        c.setConnectTimeout((int) Math.min(CONNECT.toMillis(), stalled.toMillis()));
        c.setReadTimeout((int) stalled.toMillis());
        c.setInstanceFollowRedirects(true);
        c.setRequestProperty("User-Agent", "cumulus");
        int status;
        try {
            status = c.getResponseCode();
        } catch (SocketTimeoutException e) {
            c.disconnect();
            throw new IOException("'" + file + "' did not answer within " + stalled.toSeconds() + " s", e);
        } catch (IOException e) {
            c.disconnect();
            throw new IOException("cannot reach '" + file + "': " + e.getMessage(), e);
        }
        if (status == 404 || status == 403) {
            try (InputStream body = c.getErrorStream()) {
                if (body != null) {
                    body.transferTo(OutputStream.nullOutputStream()); // so the connection can be reused
                }
            } catch (IOException e) {
                c.disconnect();
            }
            return Optional.empty();
        }
        if (status != 200) {
            c.disconnect();
            throw new IOException("'" + file + "' answered HTTP " + status);
        }
        return Optional.of(new FilterInputStream(c.getInputStream()) {
            @Override
            public int read() throws IOException {
                try {
                    return super.read();
                } catch (SocketTimeoutException e) {
                    c.disconnect();
                    throw stalled(file, e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    return super.read(b, off, len);
                } catch (SocketTimeoutException e) {
                    c.disconnect();
                    throw stalled(file, e);
                }
            }
        });
    }

    private IOException stalled(URI file, SocketTimeoutException e) {
        return new IOException("the download of '" + file + "' stalled: nothing came for " + stalled.toSeconds() + " s", e);
    }
}
