package dev.cumulus.proxy.backend;

import java.util.List;

/**
 * The logger side of the protocol as a backend sees it: log lines, activities (which {@code nix}
 * turns into progress bars) and their results. Messages sent while no operation runs are dropped.
 */
public interface ClientLogger {
    void log(long level, String text);

    /** Starts an activity and returns its id; {@code fields} are Longs or Strings. */
    long startActivity(long level, long type, String text, List<Object> fields, long parent);

    void stopActivity(long id);

    void result(long activity, long type, List<Object> fields);
}
