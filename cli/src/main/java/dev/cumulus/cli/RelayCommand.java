package dev.cumulus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./cumulus relay --socket PATH}: joins stdin and stdout to a running proxy's unix socket.
 * It is what {@code STATE_DIR/remote-program} runs, so {@code ssh-ng://…?remote-program=} reaches the
 * proxy of {@code cumulus local} without starting a second one.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "Copies stdin to a proxy's unix socket and the socket's answers to stdout (for remote-program).")
final class RelayCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", required = true, description = "The proxy's socket.")
    Path socket;

    @Option(names = "--stdio", hidden = true, description = "Accepted and ignored: ssh-ng passes it to the remote program.")
    boolean stdio;

    @Override
    public Integer call() throws Exception {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException(socket + ": cannot connect (is 'cumulus local' running?): " + e.getMessage(), e);
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
        return 0;
    }
}
