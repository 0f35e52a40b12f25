package dev.cumulus.proxy;

import dev.cumulus.model.wire.WireEndException;
import dev.cumulus.model.wire.WireReader;
import java.io.IOException;
import java.io.InputStream;

/**
 * Data the daemon asks the client for, a chunk at a time, with STDERR_READ (ImportPaths, and
 * AddToStoreNar for 1.21 and 1.22 clients). Each answer is a string of at most the size asked.
 */
final class PulledInputStream extends InputStream {
    private static final int CHUNK = 64 * 1024;
    private final WireReader in;
    private final StderrLogger out;
    private byte[] buf = new byte[0];
    private int pos;

    PulledInputStream(WireReader in, StderrLogger out) {
        this.in = in;
        this.out = out;
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
        if (pos == buf.length) {
            out.requestData(CHUNK);
            buf = in.readBytes(CHUNK);
            pos = 0;
            if (buf.length == 0) {
                throw new WireEndException("the client had no more data to send");
            }
        }
        int n = Math.min(len, buf.length - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }
}
