package dev.cumulus.proxy.bucket;

import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.store.StorePath;

/** Where a valid path's NAR lies in the bucket: the store knows, and a recent answer may be remembered. */
public interface NarLocator {
    /**
     * The object holding {@code path}'s NAR; {@code fresh} asks the store rather than a remembered
     * answer (the object named before was not there).
     *
     * @throws dev.cumulus.proxy.backend.StoreException when the path is not valid or has no NAR in the bucket
     */
    NarObject locate(StorePath path, boolean fresh);

    /** {@code path} was just made valid with its NAR in {@code object}. */
    void remember(StorePath path, NarObject object);
}
