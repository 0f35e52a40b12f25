package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildClaim;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code append-build-log} function: {@link StoreFunctions#appendBuildLog}. */
@Named("append-build-log")
public class AppendBuildLogHandler implements RequestHandler<BuildLog, BuildClaim> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildClaim handleRequest(BuildLog request, Context context) {
        return functions.appendBuildLog(request);
    }
}
