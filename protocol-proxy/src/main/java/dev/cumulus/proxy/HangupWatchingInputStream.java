package dev.cumulus.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A client's input that can tell, while an operation runs without reading from the client (a
 * build), whether the client has hung up. Nix's daemon learns it from SIGPOLL on the socket; here
 * {@link #hungUp()} starts one background read of a single byte: end of stream means the client
 * is gone; a byte (a client may pipeline its next request) is kept and handed to the next read.
 * Only one read of the underlying stream is ever in flight: reads wait for the background one.
 */
final class HangupWatchingInputStream extends InputStream {
    private final InputStream in;
    /** The background read's result (a byte, or -1 at the end), or null when none was started. */
    private volatile CompletableFuture<Integer> pending;

    HangupWatchingInputStream(InputStream in) {
        this.in = in;
    }

    /** Whether the client has closed its side; never blocks. */
    synchronized boolean hungUp() {
        if (pending == null) {
            CompletableFuture<Integer> read = new CompletableFuture<>();
            pending = read;
            Thread.ofVirtual().name("hangup-watch").start(() -> {
                try {
                    read.complete(in.read());
                } catch (IOException | RuntimeException e) {
                    read.complete(-1);
                }
            });
        }
        return pending.isDone() && pending.join() < 0;
    }

    /** The byte read in the background, waiting for it; null when there is none to hand on. */
    private Integer takePending() throws IOException {
        if (pending == null) { // the usual case, without a lock: it is set only while an operation runs
            return null;
        }
        return takePendingNow();
    }

    private synchronized Integer takePendingNow() throws IOException {
        try {
            int b = pending.get();
            if (b >= 0) {
                pending = null;
            }
            return b;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading from the client", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    @Override
    public int read() throws IOException {
        Integer b = takePending();
        return b != null ? b : in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        Integer first = takePending();
        if (first == null) {
            return in.read(b, off, len);
        }
        if (first < 0) {
            return -1;
        }
        b[off] = (byte) (int) first;
        return 1;
    }

    @Override
    public int available() throws IOException {
        synchronized (this) {
            if (pending != null) {
                return pending.isDone() && pending.join() >= 0 ? 1 : 0;
            }
        }
        return in.available();
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
