package dev.cumulus.model.store;

/** A string that is not a valid store path, or a name that no store path may have. */
public class InvalidStorePathException extends IllegalArgumentException {
    public InvalidStorePathException(String message) {
        super(message);
    }
}
