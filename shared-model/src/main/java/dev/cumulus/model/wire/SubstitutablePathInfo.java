package dev.cumulus.model.wire;

import dev.cumulus.model.store.StorePath;
import java.util.Optional;
import java.util.SortedSet;

/** What a substituter could provide for a path (QuerySubstitutablePathInfo(s)). */
public record SubstitutablePathInfo(Optional<StorePath> deriver, SortedSet<StorePath> references, long downloadSize, long narSize) {
}
