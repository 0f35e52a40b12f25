package dev.cumulus.proxy;

import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.proxy.backend.ClientLogger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The daemon's side channel while it works on an operation (Nix's TunnelLogger): between
 * {@link #startWork()} and {@link #stopWork()} log lines, activities and results go to the client;
 * the work ends with STDERR_LAST or STDERR_ERROR in the form the client's version reads.
 * Backends may log from other threads, so every write holds the connection's lock.
 */
final class StderrLogger implements ClientLogger {
    private static final AtomicLong NEXT_ACTIVITY = new AtomicLong(1);
    private final WireWriter out;
    private final ProtocolVersion version;
    private boolean working;

    StderrLogger(WireWriter out, ProtocolVersion version) {
        this.out = out;
        this.version = version;
    }

    synchronized void startWork() {
        working = true;
    }

    /** Ends the work successfully: STDERR_LAST. */
    synchronized void stopWork() throws IOException {
        working = false;
        out.writeNum(Stderr.LAST);
    }

    /** Ends the work with an error the client shows as {@code error: <message>}. */
    synchronized void stopWork(String message) throws IOException {
        working = false;
        out.writeNum(Stderr.ERROR);
        if (version.atLeast(26)) {
            // Nix's serialised Error: type, level, (removed) name, message, no position, no traces.
            out.writeString("Error").writeNum(Stderr.LVL_ERROR).writeString("Error").writeString(message).writeNum(0).writeNum(0);
        } else {
            out.writeString(message).writeNum(1);
        }
        out.flush();
    }

    /** Data for the client's sink (ExportPath), sent as STDERR_WRITE. */
    synchronized void write(byte[] b, int off, int len) throws IOException {
        out.writeNum(Stderr.WRITE).writeBytes(b, off, len);
    }

    /** Asks the client for up to {@code len} more bytes of the operation's data (STDERR_READ). */
    synchronized void requestData(int len) throws IOException {
        out.writeNum(Stderr.READ).writeNum(len);
        out.flush();
    }

    @Override
    public synchronized void log(long level, String text) {
        if (!working) {
            return;
        }
        send(() -> out.writeNum(Stderr.NEXT).writeString(text.endsWith("\n") ? text : text + "\n"));
    }

    @Override
    public synchronized long startActivity(long level, long type, String text, List<Object> fields, long parent) {
        long id = NEXT_ACTIVITY.getAndIncrement();
        if (working) {
            send(() -> {
                out.writeNum(Stderr.START_ACTIVITY).writeNum(id).writeNum(level).writeNum(type).writeString(text);
                writeFields(fields);
                out.writeNum(parent);
            });
        }
        return id;
    }

    @Override
    public synchronized void stopActivity(long id) {
        if (working) {
            send(() -> out.writeNum(Stderr.STOP_ACTIVITY).writeNum(id));
        }
    }

    @Override
    public synchronized void result(long activity, long type, List<Object> fields) {
        if (working) {
            send(() -> {
                out.writeNum(Stderr.RESULT).writeNum(activity).writeNum(type);
                writeFields(fields);
            });
        }
    }

    private void writeFields(List<Object> fields) throws IOException {
        out.writeNum(fields.size());
        for (Object f : fields) {
            if (f instanceof Number n) {
                out.writeNum(0).writeNum(n.longValue());
            } else {
                out.writeNum(1).writeString(String.valueOf(f));
            }
        }
    }

    private interface Write {
        void run() throws IOException;
    }

    private void send(Write w) {
        try {
            w.run();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("the client is gone", e);
        }
    }
}
