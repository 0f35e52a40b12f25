package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.RootEvents.Roots;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code list-roots} function: {@link StoreFunctions#listRoots}. */
@Named("list-roots")
public class ListRootsHandler implements RequestHandler<ListRoots, Roots> {
    @Inject
    StoreFunctions functions;

    @Override
    public Roots handleRequest(ListRoots request, Context context) {
        return functions.listRoots(request);
    }
}
