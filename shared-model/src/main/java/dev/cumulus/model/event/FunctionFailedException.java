package dev.cumulus.model.event;

/** A store function answered with an error (bad input, a refused registration, an unreachable table). */
public class FunctionFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FunctionFailedException(String message) {
        super(message);
    }

    public FunctionFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
