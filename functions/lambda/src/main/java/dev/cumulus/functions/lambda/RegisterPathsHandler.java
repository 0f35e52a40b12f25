package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Responses.Registered;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code register-paths} function: {@link StoreFunctions#registerPaths}. */
@Named("register-paths")
public class RegisterPathsHandler implements RequestHandler<RegisterPaths, Registered> {
    @Inject
    StoreFunctions functions;

    @Override
    public Registered handleRequest(RegisterPaths request, Context context) {
        return functions.registerPaths(request);
    }
}
