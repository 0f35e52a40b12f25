package dev.cumulus.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./cumulus relay --socket PATH}: stdin and stdout joined to a running proxy's socket ({@link StdioRelay}). */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "Copies stdin to a proxy's unix socket and the socket's answers to stdout (for remote-program).")
final class RelayCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", required = true, description = "The proxy's socket.")
    Path socket;

    @Option(names = "--stdio", hidden = true, description = "Accepted and ignored: ssh-ng passes it to the remote program.")
    boolean stdio;

    @Override
    public Integer call() throws Exception {
        StdioRelay.relay(socket);
        return 0;
    }
}
