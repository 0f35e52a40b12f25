package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.ListBuilds;
import dev.cumulus.model.event.BuildEvents.BuildList;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code list-builds} function: {@link StoreFunctions#listBuilds}. */
@Named("list-builds")
public class ListBuildsHandler implements RequestHandler<ListBuilds, BuildList> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildList handleRequest(ListBuilds request, Context context) {
        return functions.listBuilds(request);
    }
}
