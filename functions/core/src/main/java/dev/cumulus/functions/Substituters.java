package dev.cumulus.functions;

import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary caches this store may substitute from, asked over HTTP whether they have a path's
 * narinfo, as Nix's HTTP binary cache store does (HEAD {@code <cache>/<hash>.narinfo}).
 */
public final class Substituters {
    private final List<URI> caches;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Substituters(List<URI> caches) {
        this.caches = List.copyOf(caches);
    }

    /** The paths among {@code paths} that some cache has; a cache that cannot be reached has none. */
    public List<StorePath> substitutable(List<StorePath> paths) {
        List<StorePath> out = new ArrayList<>();
        for (StorePath p : paths) {
            for (URI cache : caches) {
                if (has(cache, p)) {
                    out.add(p);
                    break;
                }
            }
        }
        return out;
    }

    private boolean has(URI cache, StorePath path) {
        String base = cache.toString().endsWith("/") ? cache.toString() : cache + "/";
        HttpRequest head = HttpRequest.newBuilder(URI.create(base + path.hashPart() + ".narinfo"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        try {
            return http.send(head, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
