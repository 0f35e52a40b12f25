package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code collect-garbage} function: {@link StoreFunctions#collectGarbage}, which starts a collection. */
@Named("collect-garbage")
public class CollectGarbageHandler implements RequestHandler<CollectGarbage, CollectionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public CollectionState handleRequest(CollectGarbage request, Context context) {
        return functions.collectGarbage(request);
    }
}
