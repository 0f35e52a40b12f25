package dev.cumulus.model.nar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Keeps the contents of a NAR that is one regular file of at most {@code limit} bytes, as a
 * derivation's NAR is; any other NAR leaves nothing. Used while the NAR is read for another
 * purpose (checked, hashed, uploaded), so a {@code .drv} is parsed without a second read.
 */
public final class SingleFileCapture implements NarVisitor {
    /** No derivation anyone wrote is larger than this. */
    public static final long DERIVATION_LIMIT = 64L * 1024 * 1024;

    private final long limit;
    private byte[] contents;

    public SingleFileCapture(long limit) {
        this.limit = limit;
    }

    @Override
    public void regularFile(String path, boolean executable, long size, InputStream data) throws IOException {
        if (path.isEmpty() && size <= limit) {
            ByteArrayOutputStream b = new ByteArrayOutputStream((int) size);
            data.transferTo(b);
            contents = b.toByteArray();
        }
    }

    /** The file's contents, or empty when the NAR was not a single file within the limit. */
    public Optional<byte[]> contents() {
        return Optional.ofNullable(contents);
    }
}
