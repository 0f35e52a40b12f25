package dev.cumulus.model.io;

import java.io.IOException;
import java.io.OutputStream;

/** Writes everything to two sinks: a NAR written once is both stored and hashed, or hashed and compressed. */
public final class TeeOutputStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    public TeeOutputStream(OutputStream a, OutputStream b) {
        this.a = a;
        this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
        a.write(x);
        b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
        a.write(buf, off, len);
        b.write(buf, off, len);
    }
}
