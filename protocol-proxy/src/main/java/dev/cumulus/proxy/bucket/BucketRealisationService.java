package dev.cumulus.proxy.bucket;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.proxy.backend.RealisationService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Adds the binary cache's copy of each realisation ({@code realisations/<id>.doi}) to a realisation
 * service, once that service has accepted it, so a Nix using the bucket as a substituter finds the
 * outputs of content-addressed derivations too. Realisations keyed by derivation path (Nix 2.35's
 * form) have no place in the 2.8 cache layout and are only registered.
 */
public final class BucketRealisationService implements RealisationService {
    private final RealisationService registry;
    private final Bucket bucket;

    public BucketRealisationService(RealisationService registry, Bucket bucket) {
        this.registry = registry;
        this.bucket = bucket;
    }

    @Override
    public void register(Session session, Realisation realisation) {
        registry.register(session, realisation);
        if (realisation.id() instanceof DrvOutput.ByHash id) {
            try {
                bucket.put(BinaryCacheLayout.realisationKey(id), realisation.toJsonString().getBytes(StandardCharsets.UTF_8),
                        "application/json");
            } catch (IOException e) {
                throw new StoreException("writing realisation '" + id.render() + "' to the bucket: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public Optional<Realisation> query(DrvOutput id) {
        return registry.query(id);
    }
}
