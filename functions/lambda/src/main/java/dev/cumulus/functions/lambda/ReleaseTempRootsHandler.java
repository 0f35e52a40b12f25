package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.ReleaseTempRoots;
import dev.cumulus.model.event.RootEvents.Roots;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code release-temp-roots} function: {@link StoreFunctions#releaseTempRoots}. */
@Named("release-temp-roots")
public class ReleaseTempRootsHandler implements RequestHandler<ReleaseTempRoots, Roots> {
    @Inject
    StoreFunctions functions;

    @Override
    public Roots handleRequest(ReleaseTempRoots request, Context context) {
        return functions.releaseTempRoots(request);
    }
}
