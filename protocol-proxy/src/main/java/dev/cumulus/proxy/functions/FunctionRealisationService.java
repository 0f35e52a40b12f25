package dev.cumulus.proxy.functions;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.RealisationService;
import dev.cumulus.proxy.backend.Session;
import java.util.Optional;

/** RegisterDrvOutput and QueryRealisation answered by the store functions. */
public final class FunctionRealisationService implements RealisationService {
    private final StoreFunctionClient functions;
    private final StoreDir storeDir;

    public FunctionRealisationService(StoreFunctionClient functions, StoreDir storeDir) {
        this.functions = functions;
        this.storeDir = storeDir;
    }

    @Override
    public void register(Session session, Realisation realisation) {
        call(() -> functions.call(StoreFunction.REGISTER_DRV_OUTPUT,
                new RegisterRealisation(session.caller().trusted(), realisation.toJson())));
    }

    @Override
    public Optional<Realisation> query(DrvOutput id) {
        return Optional.ofNullable(call(() -> functions.call(StoreFunction.QUERY_REALISATION,
                new DrvOutputQuery(id.render(storeDir)))).realisation()).map(Realisation::fromJson);
    }
}
