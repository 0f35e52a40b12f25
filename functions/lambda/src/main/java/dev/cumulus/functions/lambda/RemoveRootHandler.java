package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.RemoveRoot;
import dev.cumulus.model.event.RootEvents.Roots;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code remove-root} function: {@link StoreFunctions#removeRoot}. */
@Named("remove-root")
public class RemoveRootHandler implements RequestHandler<RemoveRoot, Roots> {
    @Inject
    StoreFunctions functions;

    @Override
    public Roots handleRequest(RemoveRoot request, Context context) {
        return functions.removeRoot(request);
    }
}
