package dev.cumulus.functions;

/**
 * A request the store refuses, with a message meant for the Nix user: an invalid path, a missing
 * reference, a conflicting NAR hash or realisation, a missing signature.
 */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
