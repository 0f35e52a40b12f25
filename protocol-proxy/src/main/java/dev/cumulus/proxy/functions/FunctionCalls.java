package dev.cumulus.proxy.functions;

import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.proxy.backend.StoreException;
import java.util.function.Supplier;

/** How the proxy's backends call the store functions. */
public final class FunctionCalls {
    private FunctionCalls() {}

    /** A function's refusal reaches the client as an error on this operation; the connection goes on. */
    public static <T> T call(Supplier<T> invocation) {
        try {
            return invocation.get();
        } catch (FunctionFailedException e) {
            throw new StoreException(e.getMessage(), e);
        }
    }
}
