package dev.cumulus.proxy;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Stdout, stderr and the exit status of a command on one stream, for the {@code remote-program}
 * relay, whose unix socket is a single stream where ssh has three channels. Each write is a frame:
 * a tag byte (1 stdout, 2 stderr), a big-endian 32-bit length, the bytes; the exit status is a
 * frame with tag 0 and the status in the length field. The relay ({@code cumulus remote-program})
 * writes each frame's bytes to its own stdout or stderr and exits with the status.
 */
final class MultiplexedOutput {
    static final int EXIT = 0;
    static final int STDOUT = 1;
    static final int STDERR = 2;

    private final DataOutputStream out;

    MultiplexedOutput(OutputStream out) {
        this.out = new DataOutputStream(new BufferedOutputStream(out, 64 * 1024));
    }

    /** One of the command's output streams; flushing it flushes the socket. */
    OutputStream channel(int tag) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    frame(tag, len, b, off);
                }
            }

            @Override
            public void flush() throws IOException {
                synchronized (out) {
                    out.flush();
                }
            }
        };
    }

    void exit(int status) throws IOException {
        frame(EXIT, status, new byte[0], 0);
        synchronized (out) {
            out.flush();
        }
    }

    private void frame(int tag, int length, byte[] b, int off) throws IOException {
        synchronized (out) {
            out.writeByte(tag);
            out.writeInt(length);
            if (tag != EXIT) {
                out.write(b, off, length);
            }
        }
    }
}
