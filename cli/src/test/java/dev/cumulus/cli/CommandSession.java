package dev.cumulus.cli;

import dev.cumulus.model.wire.ClientOptions;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.proxy.backend.Caller;
import dev.cumulus.proxy.backend.ClientLogger;
import dev.cumulus.proxy.backend.Session;
import java.io.PrintStream;
import java.util.List;
import java.util.UUID;

/** A session of the store's operator for tests that call the backends directly: trusted, build logs printed as they come. */
final class CommandSession implements Session, ClientLogger {
    private final PrintStream out;
    private final String id = "cli-" + UUID.randomUUID();

    CommandSession(PrintStream out) {
        this.out = out;
    }

    @Override
    public Caller caller() {
        return new Caller("operator", true);
    }

    @Override
    public ClientOptions options() {
        return ClientOptions.defaults();
    }

    @Override
    public ClientLogger logger() {
        return this;
    }

    @Override
    public String connectionId() {
        return id;
    }

    /** The operator's command waits until the build ends (Ctrl-C stops the command, not the build). */
    @Override
    public boolean clientGone() {
        return false;
    }

    @Override
    public void log(long level, String text) {
        if (level <= Stderr.LVL_INFO) {
            out.println(text);
        }
    }

    @Override
    public long startActivity(long level, long type, String text, List<Object> fields, long parent) {
        if (type == Stderr.ACT_BUILD) {
            out.println(text);
        }
        return 1;
    }

    @Override
    public void stopActivity(long activity) {}

    @Override
    public void result(long activity, long type, List<Object> fields) {
        if (type == Stderr.RES_BUILD_LOG_LINE && !fields.isEmpty()) {
            out.println(fields.getFirst());
        }
    }
}
