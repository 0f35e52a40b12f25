package dev.cumulus.model.event;

/** Typed calls to the store functions over any {@link FunctionInvoker}. */
public final class StoreFunctionClient {
    private final FunctionInvoker invoker;

    public StoreFunctionClient(FunctionInvoker invoker) {
        this.invoker = invoker;
    }

    public <Q, R> R call(StoreFunction<Q, R> function, Q request) {
        byte[] answer = invoker.invoke(function.name(), EventJson.write(request));
        try {
            return EventJson.read(answer, function.response());
        } catch (IllegalArgumentException e) {
            throw new FunctionFailedException("function " + function.name() + " answered with something else: "
                    + e.getMessage(), e);
        }
    }
}
