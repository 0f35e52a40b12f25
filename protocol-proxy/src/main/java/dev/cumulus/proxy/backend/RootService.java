package dev.cumulus.proxy.backend;

import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.GcOptions;
import dev.cumulus.model.wire.GcResult;
import java.util.SortedMap;

/** GC roots and store maintenance: temporary, indirect and permanent roots, collection, verification. */
public interface RootService {
    void addTempRoot(Session session, StorePath path);

    void addIndirectRoot(Session session, String link);

    /** Returns the root's name as stored. */
    String addPermRoot(Session session, StorePath path, String name);

    /** Root name (link) to the path it keeps alive. */
    SortedMap<String, StorePath> findRoots(Session session);

    GcResult collectGarbage(Session session, GcOptions options);

    /** Returns whether errors were found. */
    boolean verifyStore(Session session, boolean checkContents, boolean repair);

    void optimiseStore(Session session);

    /** Called when a connection ends: its temporary roots go. */
    void connectionClosed(Session session);
}
