package dev.cumulus.proxy.backend;

import dev.cumulus.model.wire.ClientOptions;

/**
 * The connection an operation arrives on: who is calling, the options they set, and the logger
 * that reaches their terminal while the operation runs.
 */
public interface Session {
    Caller caller();

    ClientOptions options();

    ClientLogger logger();

    /** Unique per connection; temporary roots live as long as it. */
    String connectionId();

    /**
     * Whether the client has hung up, for operations that wait long without talking to it (a
     * build nobody waits for any more is cancelled). Never blocks.
     */
    boolean clientGone();
}
