package dev.cumulus.model.wire;

import dev.cumulus.model.store.StorePath;
import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/** QueryMissing's answer: what would be built, what substituted, what is unknown, and the sizes involved. */
public record MissingPaths(SortedSet<StorePath> willBuild, SortedSet<StorePath> willSubstitute, SortedSet<StorePath> unknown,
                           long downloadSize, long narSize) {
    public MissingPaths {
        willBuild = Collections.unmodifiableSortedSet(new TreeSet<>(willBuild));
        willSubstitute = Collections.unmodifiableSortedSet(new TreeSet<>(willSubstitute));
        unknown = Collections.unmodifiableSortedSet(new TreeSet<>(unknown));
    }
}
