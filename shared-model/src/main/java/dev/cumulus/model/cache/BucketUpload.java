package dev.cumulus.model.cache;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An object being written to a {@link Bucket}. Bytes written may already be on their way (parts of
 * a multipart upload) but the object appears only on {@link #commit()}; {@link #close()} before
 * that throws the upload away, so a failed or abandoned upload leaves no object behind.
 */
public abstract class BucketUpload extends OutputStream {
    /** Makes the object visible with everything written so far. */
    public abstract void commit() throws IOException;

    /** How many bytes have been written. */
    public abstract long size();

    /** Aborts the upload unless it was committed. */
    @Override
    public abstract void close() throws IOException;

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }
}
