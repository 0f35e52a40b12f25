package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.event.Responses.RealisationAnswer;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code register-drv-output} function: {@link StoreFunctions#registerDrvOutput}. */
@Named("register-drv-output")
public class RegisterDrvOutputHandler implements RequestHandler<RegisterRealisation, RealisationAnswer> {
    @Inject
    StoreFunctions functions;

    @Override
    public RealisationAnswer handleRequest(RegisterRealisation request, Context context) {
        return functions.registerDrvOutput(request);
    }
}
