package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.AddSignatures;
import dev.cumulus.model.event.Responses.SignaturesAdded;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code add-signatures} function: {@link StoreFunctions#addSignatures}. */
@Named("add-signatures")
public class AddSignaturesHandler implements RequestHandler<AddSignatures, SignaturesAdded> {
    @Inject
    StoreFunctions functions;

    @Override
    public SignaturesAdded handleRequest(AddSignatures request, Context context) {
        return functions.addSignatures(request);
    }
}
