package dev.cumulus.proxy;

import dev.cumulus.proxy.backend.Caller;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The worker protocol on a unix socket, as {@code nix --store unix://PATH} expects: one virtual
 * thread per connection. Everyone who can open the socket is the same caller; the socket file's
 * permissions decide who that is.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UnixSocketServer.class.getName());
    private final ProxyConfig config;
    private final Path socket;
    private final Caller caller;
    private final ServerSocketChannel server;
    private final Thread acceptor;

    public UnixSocketServer(ProxyConfig config, Path socket, boolean trusted) throws IOException {
        this.config = config;
        this.socket = socket;
        this.caller = new Caller("unix-socket", trusted);
        Files.deleteIfExists(socket); // a stale socket from a previous run
        if (socket.getParent() != null) {
            Files.createDirectories(socket.getParent());
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        acceptor = Thread.ofPlatform().name("unix-socket-acceptor").daemon(true).start(this::acceptLoop);
    }

    public Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel ch = server.accept();
                Thread.ofVirtual().name("unix-connection").start(() -> serve(ch));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "accepting on " + socket + " failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            new DaemonConnection(config.storeDir(), config.backends(), caller, Channels.newInputStream(ch),
                    Channels.newOutputStream(ch), config.limits()).run();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing a connection failed", e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
