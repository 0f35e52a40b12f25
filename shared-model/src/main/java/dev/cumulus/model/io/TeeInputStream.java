package dev.cumulus.model.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Copies what is read to a sink: a NAR read off a connection or out of a bucket is hashed, spooled or uploaded as it is checked. */
public final class TeeInputStream extends InputStream {
    private final InputStream in;
    private final OutputStream copy;

    public TeeInputStream(InputStream in, OutputStream copy) {
        this.in = in;
        this.copy = copy;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            copy.write(b);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            copy.write(b, off, n);
        }
        return n;
    }
}
