package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code verify-store} function: {@link StoreFunctions#verifyStore}. */
@Named("verify-store")
public class VerifyStoreHandler implements RequestHandler<VerifyStore, StoreVerified> {
    @Inject
    StoreFunctions functions;

    @Override
    public StoreVerified handleRequest(VerifyStore request, Context context) {
        return functions.verifyStore(request);
    }
}
