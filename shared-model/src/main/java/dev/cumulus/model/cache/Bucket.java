package dev.cumulus.model.cache;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The store bucket as Cumulus needs it: named objects that appear whole or not at all. S3 in the
 * cloud, S3Proxy on a laptop; the binary cache's layout on top of it is {@link BinaryCacheLayout}.
 */
public interface Bucket {
    /** The object's bytes as a stream, or empty when there is no such object. */
    Optional<InputStream> open(String key) throws IOException;

    /** The object's size, or empty when there is no such object. */
    OptionalLong size(String key) throws IOException;

    void put(String key, byte[] content, String contentType) throws IOException;

    /**
     * Starts a streamed upload of an object of unknown length: nothing is visible under {@code key}
     * until {@link BucketUpload#commit()}, and closing the upload without committing leaves nothing.
     */
    BucketUpload upload(String key, String contentType) throws IOException;

    /** Removes the object; removing one that is absent is not an error. */
    void delete(String key) throws IOException;

    /** Removes the objects (absent ones are no error); a bucket that can removes many in one request. */
    default void deleteAll(java.util.Collection<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }

    /** An object as a listing shows it. */
    record StoredObject(String key, long size, Instant lastModified) {}

    /** Every object whose key starts with {@code prefix}, in key order, a page at a time. */
    void list(String prefix, IOConsumer<StoredObject> each) throws IOException;

    /**
     * Makes an existing object's modification time recent, as if it had just been uploaded, so the
     * garbage collector's grace period protects it again (a NAR that a new path shares with an old
     * one is not uploaded twice, but must not be swept as unreferenced before its path is registered).
     *
     * @return whether the object exists
     */
    boolean touch(String key) throws IOException;

    @FunctionalInterface
    interface IOConsumer<T> {
        void accept(T t) throws IOException;
    }
}
