package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.AddTempRoots;
import dev.cumulus.model.event.RootEvents.Roots;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code add-temp-roots} function: {@link StoreFunctions#addTempRoots}. */
@Named("add-temp-roots")
public class AddTempRootsHandler implements RequestHandler<AddTempRoots, Roots> {
    @Inject
    StoreFunctions functions;

    @Override
    public Roots handleRequest(AddTempRoots request, Context context) {
        return functions.addTempRoots(request);
    }
}
