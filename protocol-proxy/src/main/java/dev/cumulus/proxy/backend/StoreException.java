package dev.cumulus.proxy.backend;

/** A failure a backend reports to the client (as STDERR_ERROR); the connection goes on. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
