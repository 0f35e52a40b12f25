package dev.cumulus.proxy.backend;

import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.SortedSet;

/** NAR ingest and egress: adding paths with their contents, and streaming a path's NAR back. */
public interface NarService {
    /**
     * Starts adding paths whose NARs arrive one after another (AddMultipleToStore, ImportPaths; a
     * single AddToStoreNar is a batch of one), in an order where references come first.
     */
    PathBatch addPaths(Session session, boolean repair, boolean checkSigs);

    /** Adds one path (AddToStoreNar, a content-addressed add): a batch of one, valid on return. */
    default void addPath(Session session, PathInfo info, InputStream nar, boolean repair, boolean checkSigs) {
        try (PathBatch batch = addPaths(session, repair, checkSigs)) {
            batch.add(info, nar);
            batch.finish();
        }
    }

    /**
     * Paths being added. {@link #add} reads one NAR and checks it against its info's hash and size;
     * the path becomes valid then or later, with paths added before it, and every path added is
     * valid once {@link #finish} returns. Signatures are checked when the batch was started with
     * {@code checkSigs}. Closing without finishing (the stream broke) still makes valid what
     * arrived whole before the break, as a daemon that adds each path as it comes would have.
     */
    interface PathBatch extends AutoCloseable {
        void add(PathInfo info, InputStream nar);

        void finish();

        @Override
        void close();
    }

    /**
     * Adds content-addressed data ({@code data} is a NAR for {@code NAR}, the file itself for flat
     * and text) under {@code name}; the path follows from the content. Returns its info.
     */
    PathInfo addContentAddressed(Session session, String name, ContentAddressMethod method, HashAlgorithm hashAlgorithm,
                                 SortedSet<StorePath> references, InputStream data, boolean repair);

    /**
     * Writes the NAR of a valid path to {@code out}, checked as it goes against what the store
     * recorded: a NAR that does not check (or is missing) never reaches {@code out} whole, and ends
     * in a {@link StoreException}.
     */
    void narFromPath(StorePath path, OutputStream out);
}
