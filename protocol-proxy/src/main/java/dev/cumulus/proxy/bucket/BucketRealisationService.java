package dev.cumulus.proxy.bucket;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.RealisationService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.util.Optional;

/**
 * Adds the binary cache's copy of each realisation to a realisation service, once that service has
 * accepted it, so a Nix using the bucket as a substituter finds the outputs of content-addressed
 * derivations too: {@code realisations/<id>.doi} for hash-keyed ids, {@code build-trace-v2/…} for
 * Nix 2.35's (see {@link BinaryCacheLayout#realisationKey}).
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
        try {
            bucket.put(BinaryCacheLayout.realisationKey(realisation.id()), BinaryCacheLayout.realisationFile(realisation),
                    BinaryCacheLayout.REALISATION_TYPE);
        } catch (IOException e) {
            throw new StoreException("writing the realisation of '" + realisation.id().render(StoreDir.DEFAULT)
                    + "' to the bucket: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Realisation> query(DrvOutput id) {
        return registry.query(id);
    }
}
