package dev.cumulus.proxy;

import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.ClientOptions;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.Caller;
import dev.cumulus.proxy.backend.Session;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a connection in either protocol is to the backends: a {@link Session} (who calls, their
 * options, whether they hung up) with buffered protocol streams, the {@link StoreOperations} it
 * performs, and temporary roots that live as long as it.
 */
abstract class ClientConnection implements Session {
    private static final Logger LOG = Logger.getLogger(ClientConnection.class.getName());

    protected final StoreDir storeDir;
    protected final Backends backends;
    protected final Caller caller;
    protected final WireReader in;
    protected final WireWriter out;
    protected final StoreOperations store;
    /** Where failed operations are counted, by name. */
    protected final Metrics metrics;
    protected ClientOptions options = ClientOptions.defaults();
    private final HangupWatchingInputStream input;
    private final String id = UUID.randomUUID().toString();

    ClientConnection(ProxyConfig config, Caller caller, InputStream in, OutputStream out) {
        this.metrics = config.metrics();
        this.storeDir = config.storeDir();
        this.backends = config.backends();
        this.caller = caller;
        this.input = new HangupWatchingInputStream(new BufferedInputStream(in, 64 * 1024));
        this.in = new WireReader(input, config.limits());
        this.out = new WireWriter(new BufferedOutputStream(out, 64 * 1024));
        this.store = new StoreOperations(storeDir, backends, this);
    }

    @Override
    public Caller caller() {
        return caller;
    }

    @Override
    public ClientOptions options() {
        return options;
    }

    @Override
    public String connectionId() {
        return id;
    }

    @Override
    public boolean clientGone() {
        return input.hungUp();
    }

    /** Once the handshake is done: from here temporary roots may be added. */
    protected void opened() {
        backends.roots().connectionOpened(this);
    }

    /** Releases the connection's temporary roots; never throws. */
    protected void closed() {
        try {
            backends.roots().connectionClosed(this);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "releasing the temporary roots of " + id + " failed", e);
        }
    }
}
