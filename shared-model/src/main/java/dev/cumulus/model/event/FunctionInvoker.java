package dev.cumulus.model.event;

/**
 * Calls a store function by name with a JSON request and returns its JSON response. In AWS this is a
 * Lambda Invoke; on the local stack the same handler code runs in process with the same bytes.
 */
public interface FunctionInvoker {

    /** @throws FunctionFailedException when the function reports an error; its message is the function's. */
    byte[] invoke(String functionName, byte[] request);
}
