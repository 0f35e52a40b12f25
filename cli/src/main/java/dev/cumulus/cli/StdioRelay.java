package dev.cumulus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Joins stdin and stdout to a proxy's unix socket: what {@code STATE_DIR/remote-program} runs, so
 * {@code ssh-ng://…?remote-program=} reaches the running proxy. It has its own {@code main} and
 * touches nothing but the JDK, because every ssh-ng connection starts a JVM for it.
 */
public final class StdioRelay {
    private StdioRelay() {}

    /** {@code StdioRelay SOCKET [--stdio]}: ssh-ng passes --stdio to the remote program. */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: StdioRelay SOCKET");
            System.exit(2);
        }
        try {
            relay(Path.of(args[0]));
        } catch (IOException e) {
            System.err.println("cumulus relay: " + e.getMessage());
            System.exit(1);
        }
    }

    static void relay(Path socket) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException(socket + ": cannot connect (is Cumulus running?): " + e.getMessage(), e);
            }
            InputStream fromProxy = Channels.newInputStream(channel);
            OutputStream toProxy = Channels.newOutputStream(channel);
            Thread up = Thread.ofVirtual().start(() -> {
                try {
                    System.in.transferTo(toProxy);
                    channel.shutdownOutput();
                } catch (IOException e) {
                    // the proxy went away; the copy below ends too
                }
            });
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = fromProxy.read(buffer)) > 0) {
                System.out.write(buffer, 0, n);
                System.out.flush();
            }
            up.interrupt();
        }
    }
}
