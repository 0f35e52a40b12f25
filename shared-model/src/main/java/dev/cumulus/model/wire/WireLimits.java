package dev.cumulus.model.wire;

/**
 * How much one connection may make the reader allocate: every length prefix and element count is
 * checked against these before anything is allocated, so a client cannot make the proxy reserve
 * memory it never sends.
 *
 * @param maxStringBytes the longest string (paths, JSON, AddTextToStore contents)
 * @param maxCollectionSize the most elements of a set, list or map
 */
public record WireLimits(int maxStringBytes, int maxCollectionSize) {
    /** 64 MiB strings (AddTextToStore carries whole files), a million elements. */
    public static final WireLimits DEFAULT = new WireLimits(64 << 20, 1 << 20);

    public WireLimits {
        if (maxStringBytes < 0 || maxCollectionSize < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
    }
}
