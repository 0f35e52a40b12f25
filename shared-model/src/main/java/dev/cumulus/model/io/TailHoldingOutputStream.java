package dev.cumulus.model.io;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Forwards all but the last {@code hold} bytes written, until {@link #release}. A NAR served while it
 * is being checked goes out this way: a reader parses a NAR as it arrives, so one that is damaged
 * must never reach it whole. Without its last bytes (a NAR ends in its closing parenthesis' padding)
 * the reader cannot finish, and reports the connection's end as an error.
 */
public final class TailHoldingOutputStream extends OutputStream {
    private final OutputStream out;
    private final byte[] tail;
    private int held;

    public TailHoldingOutputStream(OutputStream out, int hold) {
        if (hold < 1) {
            throw new IllegalArgumentException("hold at least one byte");
        }
        this.out = out;
        this.tail = new byte[hold];
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len >= tail.length) {
            out.write(tail, 0, held);
            out.write(b, off, len - tail.length);
            System.arraycopy(b, off + len - tail.length, tail, 0, tail.length);
            held = tail.length;
            return;
        }
        int overflow = held + len - tail.length;
        if (overflow > 0) {
            out.write(tail, 0, overflow);
            System.arraycopy(tail, overflow, tail, 0, held - overflow);
            held -= overflow;
        }
        System.arraycopy(b, off, tail, held, len);
        held += len;
    }

    /** Writes the held bytes and flushes: everything written has been checked. */
    public void release() throws IOException {
        out.write(tail, 0, held);
        Arrays.fill(tail, (byte) 0);
        held = 0;
        out.flush();
    }

    /** Flushes what was forwarded; the held bytes stay held. */
    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
