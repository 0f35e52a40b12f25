package dev.cumulus.functions;

/**
 * A registration refused because a reference is not valid. Unlike other refusals it may pass later:
 * binary-cache uploads arrive as events in no particular order, so a path can be seen before the
 * paths it refers to ({@link BinaryCacheIngest} defers it rather than rejecting it).
 */
public final class MissingReferenceException extends StoreException {
    private static final long serialVersionUID = 1L;

    public MissingReferenceException(String message) {
        super(message);
    }
}
