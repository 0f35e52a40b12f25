package dev.cumulus.proxy;

import dev.cumulus.model.wire.WireEndException;
import java.io.IOException;
import java.io.InputStream;

/** Exactly {@code size} bytes of an underlying stream (a NAR inside AddMultipleToStore's frames); close does not close it. */
final class LimitedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    LimitedInputStream(InputStream in, long size) {
        this.in = in;
        this.remaining = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new WireEndException("the stream ended " + remaining + " bytes before the declared size");
        }
        remaining -= n;
        return n;
    }

    /** Reads what the consumer left unread, so the next item starts in the right place. */
    long drain() throws IOException {
        return transferTo(java.io.OutputStream.nullOutputStream());
    }

    @Override
    public void close() {
    }
}
