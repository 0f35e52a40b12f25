package dev.cumulus.proxy.backend;

import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.GcOptions;
import dev.cumulus.model.wire.GcResult;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** GC roots and store maintenance: temporary, indirect and permanent roots, collection, verification. */
public interface RootService {
    void addTempRoot(Session session, StorePath path);

    void addIndirectRoot(Session session, String link);

    /** Returns the root's name as stored. */
    String addPermRoot(Session session, StorePath path, String name);

    /** Each root's name (link) and the path it keeps alive; temporary roots share their connection's name. */
    List<Map.Entry<String, StorePath>> findRoots(Session session);

    GcResult collectGarbage(Session session, GcOptions options);

    /** Returns whether errors were found. */
    boolean verifyStore(Session session, boolean checkContents, boolean repair);

    /**
     * BuildPaths in repair mode: the NAR and narinfo of each of {@code paths} (valid ones) are checked
     * and restored where damaged, as VerifyStore with repair does for the whole store.
     *
     * @return why, for each path that could not be repaired
     */
    Map<StorePath, String> repair(Session session, Collection<StorePath> paths);

    void optimiseStore(Session session);

    /** Called when a connection starts (after its handshake): temporary roots it adds live as long as it. */
    void connectionOpened(Session session);

    /** Called when a connection ends: its temporary roots go. */
    void connectionClosed(Session session);
}
