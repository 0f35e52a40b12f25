package dev.cumulus.model.event;

import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.store.StorePath;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The paths of one {@link RegisterPaths} call as they are gathered, references first. The batch is
 * full when the next path would not fit one DynamoDB transaction together with the checks of the
 * references it has outside itself ({@link RegisterPaths#MAX_PATHS} items in all): a batch that fits
 * commits in one transaction, so its registration roots only its heads (the paths nothing in it
 * refers to) and the rest is kept alive through them.
 */
public final class RegistrationBatch {
    private final Set<StorePath> paths = new HashSet<>();
    private final Set<StorePath> outside = new HashSet<>();

    /** Whether {@code path} fits in; the first path always does. */
    public boolean fits(StorePath path, Collection<StorePath> references) {
        if (paths.isEmpty()) {
            return true;
        }
        long more = references.stream().filter(r -> !r.equals(path) && !paths.contains(r) && !outside.contains(r)).distinct().count();
        long items = paths.size() + 1 + outside.size() + more - (outside.contains(path) ? 1 : 0);
        return items <= RegisterPaths.MAX_PATHS;
    }

    public void add(StorePath path, Collection<StorePath> references) {
        paths.add(path);
        outside.remove(path);
        references.stream().filter(r -> !r.equals(path) && !paths.contains(r)).forEach(outside::add);
    }

    public boolean isEmpty() {
        return paths.isEmpty();
    }

    public void clear() {
        paths.clear();
        outside.clear();
    }
}
