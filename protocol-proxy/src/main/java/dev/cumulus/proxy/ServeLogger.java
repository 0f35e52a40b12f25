package dev.cumulus.proxy;

import dev.cumulus.model.wire.Stderr;
import dev.cumulus.proxy.backend.ClientLogger;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The serve protocol has no logger messages: as {@code nix-store --serve}, what a client should see
 * goes to stderr as text, where Nix's build hook takes it for the build log and {@code nix copy}
 * shows it. Build log lines, warnings and errors are written; activities and progress are not.
 */
final class ServeLogger implements ClientLogger {
    private final OutputStream err;
    private final AtomicLong activities = new AtomicLong();

    ServeLogger(OutputStream err) {
        this.err = err;
    }

    @Override
    public void log(long level, String text) {
        if (level <= Stderr.LVL_WARN) {
            line(text);
        }
    }

    @Override
    public long startActivity(long level, long type, String text, List<Object> fields, long parent) {
        return activities.incrementAndGet();
    }

    @Override
    public void stopActivity(long id) {
    }

    @Override
    public void result(long activity, long type, List<Object> fields) {
        if (type == Stderr.RES_BUILD_LOG_LINE && !fields.isEmpty()) {
            line(String.valueOf(fields.get(0)));
        }
    }

    /** Writes one line and flushes it; a client that is gone is not an error here (the protocol side notices). */
    synchronized void line(String text) {
        try {
            err.write((text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException gone) {
            // the protocol stream will fail too, and end the connection
        }
    }
}
