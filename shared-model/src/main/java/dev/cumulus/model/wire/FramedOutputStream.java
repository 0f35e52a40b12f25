package dev.cumulus.model.wire;

import java.io.IOException;
import java.io.OutputStream;

/** Writes a framed stream: each write becomes a frame; {@link #close()} writes the empty end frame. */
public final class FramedOutputStream extends OutputStream {
    private final WireWriter wire;
    private boolean closed;

    public FramedOutputStream(WireWriter wire) {
        this.wire = wire;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return; // an empty frame would end the stream
        }
        wire.writeNum(len);
        wire.stream().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
        wire.flush();
    }

    /** Ends the stream (does not close the connection). */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            wire.writeNum(0);
        }
    }
}
