package dev.cumulus.functions;

import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.derived.Realisation;

/**
 * Registering realisations. The output path must be valid; an untrusted caller needs a signature by
 * a trusted key on the realisation; an id already mapped to another path is refused.
 */
public final class Realisations {
    private final StoreTables tables;
    private final FunctionsConfig config;

    public Realisations(StoreTables tables, FunctionsConfig config) {
        this.tables = tables;
        this.config = config;
    }

    public Realisation register(boolean trusted, Realisation realisation) {
        String id = realisation.id().render(config.storeDir());
        if (!trusted && !realisation.isSignedBy(config.trustedKeys())) {
            throw new StoreException("cannot register realisation '" + id + "' because it lacks a signature by a trusted key");
        }
        if (tables.paths().get(realisation.outPath()).isEmpty()) {
            throw new StoreException("cannot register realisation '" + id + "': its output path '"
                    + config.storeDir().print(realisation.outPath()) + "' is not valid");
        }
        Realisation stored = tables.realisations().putIfConsistent(realisation);
        if (!stored.outPath().equals(realisation.outPath())) {
            throw new StoreException("realisation '" + id + "' already maps to '" + config.storeDir().print(stored.outPath())
                    + "', not to '" + config.storeDir().print(realisation.outPath()) + "'");
        }
        return stored;
    }
}
