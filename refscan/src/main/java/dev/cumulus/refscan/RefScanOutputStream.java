package dev.cumulus.refscan;

import java.io.OutputStream;

/** An output stream that scans what is written for needles, so a scan can ride along a copy. */
public final class RefScanOutputStream extends OutputStream {
    private final RefScanner scanner;
    private final byte[] one = new byte[1];

    public RefScanOutputStream(RefScanner scanner) {
        this.scanner = scanner;
    }

    @Override
    public void write(int b) {
        one[0] = (byte) b;
        scanner.update(one, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        scanner.update(b, off, len);
    }

    public RefScanner scanner() {
        return scanner;
    }
}
