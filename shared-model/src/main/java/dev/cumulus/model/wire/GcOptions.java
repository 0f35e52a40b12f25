package dev.cumulus.model.wire;

import dev.cumulus.model.store.StorePath;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * CollectGarbage's arguments. Either the whole store ({@code wholeStore}, {@code paths} empty) or
 * the given {@code paths}, whose dead referrers may go with them only with {@code deleteReferrers}
 * (sent with the 1.38 feature {@code delete-dead-specific-referrers}; before it, an empty set means
 * the whole store unless the action is {@code DELETE_SPECIFIC}). {@code maxFreed} is unsigned: Nix
 * sends 2^64-1 for "no limit".
 */
public record GcOptions(GcAction action, boolean wholeStore, SortedSet<StorePath> paths, boolean deleteReferrers,
                        boolean ignoreLiveness, long maxFreed) {
    public GcOptions {
        paths = Collections.unmodifiableSortedSet(new TreeSet<>(paths));
        if (wholeStore && (!paths.isEmpty() || deleteReferrers)) {
            throw new IllegalArgumentException("a collection of the whole store names no paths");
        }
    }

    /** The whole store. */
    public static GcOptions wholeStore(GcAction action, long maxFreed) {
        return new GcOptions(action, true, new TreeSet<>(), false, false, maxFreed);
    }

    /** Only {@code paths} (and, with {@code deleteReferrers}, their dead referrers). */
    public static GcOptions specific(GcAction action, SortedSet<StorePath> paths, boolean deleteReferrers, long maxFreed) {
        return new GcOptions(action, false, paths, deleteReferrers, false, maxFreed);
    }
}
