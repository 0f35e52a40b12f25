package dev.cumulus.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./cumulus remote-program --socket PATH FILE}: writes a {@link RemoteProgram} for a proxy's socket. */
@Command(name = "remote-program", mixinStandardHelpOptions = true,
        description = "Writes an executable that joins stdin/stdout to a proxy's unix socket (for ssh-ng://…?remote-program=).")
final class RemoteProgramCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "PATH", required = true, description = "The proxy's socket.")
    Path socket;

    @Parameters(paramLabel = "FILE", description = "Where to write the program.")
    Path file;

    @Override
    public Integer call() throws Exception {
        RemoteProgram.write(file, socket.toAbsolutePath());
        return 0;
    }
}
