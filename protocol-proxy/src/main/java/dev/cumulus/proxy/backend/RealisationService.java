package dev.cumulus.proxy.backend;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import java.util.Optional;

/** Content-addressed derivation outputs: RegisterDrvOutput and QueryRealisation. */
public interface RealisationService {
    void register(Session session, Realisation realisation);

    Optional<Realisation> query(DrvOutput id);
}
