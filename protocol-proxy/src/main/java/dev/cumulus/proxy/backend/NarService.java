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
     * Adds a path whose NAR is {@code nar}; checks the NAR against {@code info}'s hash and size and,
     * when {@code checkSigs}, its signatures. Returns once the path is valid.
     */
    void addToStore(Session session, PathInfo info, InputStream nar, boolean repair, boolean checkSigs);

    /**
     * Adds content-addressed data ({@code data} is a NAR for {@code NAR}, the file itself for flat
     * and text) under {@code name}; the path follows from the content. Returns its info.
     */
    PathInfo addContentAddressed(Session session, String name, ContentAddressMethod method, HashAlgorithm hashAlgorithm,
                                 SortedSet<StorePath> references, InputStream data, boolean repair);

    /** Writes the NAR of a valid path to {@code out}. */
    void narFromPath(StorePath path, OutputStream out);
}
