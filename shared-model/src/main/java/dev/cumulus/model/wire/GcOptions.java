package dev.cumulus.model.wire;

import dev.cumulus.model.store.StorePath;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/** CollectGarbage's arguments. {@code maxFreed} is unsigned: Nix sends 2^64-1 for "no limit". */
public record GcOptions(GcAction action, SortedSet<StorePath> pathsToDelete, boolean ignoreLiveness, long maxFreed) {
    public GcOptions {
        pathsToDelete = Collections.unmodifiableSortedSet(new TreeSet<>(pathsToDelete));
    }
}
