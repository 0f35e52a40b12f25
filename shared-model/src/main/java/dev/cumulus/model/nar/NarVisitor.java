package dev.cumulus.model.nar;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives a NAR's nodes in archive order as {@link NarReader} validates them. Paths are
 * {@code ""} for the root and {@code /a/b} below it.
 */
public interface NarVisitor {
    default void directory(String path) throws IOException {}

    default void directoryEnd(String path) throws IOException {}

    /**
     * A regular file. {@code contents} yields exactly {@code size} bytes and is only valid during
     * the call; whatever the visitor leaves unread is skipped.
     */
    default void regularFile(String path, boolean executable, long size, InputStream contents) throws IOException {}

    default void symlink(String path, String target) throws IOException {}
}
