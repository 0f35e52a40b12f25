package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.Roots;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code add-root} function: {@link StoreFunctions#addRoot}. */
@Named("add-root")
public class AddRootHandler implements RequestHandler<AddRoot, Roots> {
    @Inject
    StoreFunctions functions;

    @Override
    public Roots handleRequest(AddRoot request, Context context) {
        return functions.addRoot(request);
    }
}
