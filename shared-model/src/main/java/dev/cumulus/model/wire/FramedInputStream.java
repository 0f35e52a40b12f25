package dev.cumulus.model.wire;

import java.io.IOException;
import java.io.InputStream;

/**
 * The data of a framed stream (AddToStore, AddToStoreNar, AddMultipleToStore, AddBuildLog since
 * 1.23): frames of a 64-bit length then that many raw bytes, ended by an empty frame. Reads
 * straight from the connection: nothing is buffered beyond what the caller asks for.
 */
public final class FramedInputStream extends InputStream {
    private final WireReader wire;
    private final long maxFrame;
    private long remaining;
    private boolean ended;

    public FramedInputStream(WireReader wire) {
        this(wire, Long.MAX_VALUE);
    }

    public FramedInputStream(WireReader wire, long maxFrame) {
        this.wire = wire;
        this.maxFrame = maxFrame;
    }

    private boolean nextFrame() throws IOException {
        while (remaining == 0) {
            if (ended) {
                return false;
            }
            long len = wire.readNum();
            if (len < 0 || len > maxFrame) {
                throw new WireFormatException("frame length " + Long.toUnsignedString(len) + " exceeds the limit of " + maxFrame);
            }
            if (len == 0) {
                ended = true;
                return false;
            }
            remaining = len;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!nextFrame()) {
            return -1;
        }
        int n = wire.stream().read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw new WireEndException("connection ended in the middle of a frame");
        }
        remaining -= n;
        return n;
    }

    /** Reads and discards the rest of the stream up to its empty frame, so the connection can go on. */
    public long drain() throws IOException {
        return transferTo(java.io.OutputStream.nullOutputStream());
    }

    public boolean ended() {
        return ended;
    }

    /** Does not close the connection: a framed stream is one part of it. */
    @Override
    public void close() {
    }
}
