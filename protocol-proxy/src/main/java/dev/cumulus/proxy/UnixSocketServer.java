package dev.cumulus.proxy;

import dev.cumulus.model.wire.WireFormatException;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.proxy.backend.Caller;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The worker protocol on a unix socket, as {@code nix --store unix://PATH} expects, and the
 * commands the {@code remote-program} relays (the serve protocol for {@code ssh://}): one thread
 * per connection, a platform thread, as a client waits on each answer before it asks again: a
 * virtual thread parked on its socket is woken through the JDK's poller and a carrier thread,
 * which here cost about 40 µs a round trip, and made {@code nix path-info -r} of 1,001 paths 1.7×
 * what the nix-daemon takes where it is now on a par. Everyone who can open the socket is the same
 * caller; the socket file's permissions decide who that is.
 */
public final class UnixSocketServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(UnixSocketServer.class.getName());
    private final ProxyConfig config;
    private final Path socket;
    private final Caller caller;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    /** What the {@code remote-program} relay sends first to run a command other than {@code --stdio}: "cumulus!" as a number. */
    public static final long COMMAND_MAGIC = 0x2173756c756d7563L;

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
                Thread.ofPlatform().daemon(true).name("unix-connection").start(() -> serve(ch));
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.WARNING, "accepting on " + socket + " failed", e);
                }
            }
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            byte[] first = in.readNBytes(8);
            if (first.length < 8 || ByteBuffer.wrap(first).order(ByteOrder.LITTLE_ENDIAN).getLong() != COMMAND_MAGIC) {
                // The worker protocol: its magic is handed on. (A PushbackInputStream would block
                // reading past the pushed-back bytes while the client waits for an answer.)
                // SequenceInputStream closes each stream it reaches the end of: the socket's must stay
                // open when the client half-closes, so that the error the daemon owes it can be written.
                InputStream whole = new SequenceInputStream(new ByteArrayInputStream(first), new java.io.FilterInputStream(in) {
                    @Override
                    public void close() {
                        // the connection's try-with-resources closes the socket
                    }
                });
                new DaemonConnection(config, caller, whole, out).run();
                return;
            }
            runCommand(in, out);
        } catch (IOException e) {
            LOG.log(Level.FINE, "a connection failed", e);
        }
    }

    /**
     * A command the {@code remote-program} relays (after {@link #COMMAND_MAGIC}, its command line
     * as a protocol string), answered on a {@link MultiplexedOutput}: the relay has one
     * socket where ssh would have stdout, stderr and an exit status.
     */
    private void runCommand(InputStream in, OutputStream socketOut) throws IOException {
        MultiplexedOutput mux = new MultiplexedOutput(socketOut);
        OutputStream err = mux.channel(MultiplexedOutput.STDERR);
        int status;
        try {
            String line = new WireReader(in, config.limits()).readString(4096);
            status = RemoteCommand.run(line, config, caller, in, mux.channel(MultiplexedOutput.STDOUT), err);
        } catch (WireFormatException e) {
            status = RemoteCommand.refuse(err, e.getMessage());
        }
        mux.exit(status);
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
