package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code collect-garbage} function: {@link StoreFunctions#collectGarbage}. */
@Named("collect-garbage")
public class CollectGarbageHandler implements RequestHandler<CollectGarbage, GarbageCollected> {
    @Inject
    StoreFunctions functions;

    @Override
    public GarbageCollected handleRequest(CollectGarbage request, Context context) {
        return functions.collectGarbage(request);
    }
}
