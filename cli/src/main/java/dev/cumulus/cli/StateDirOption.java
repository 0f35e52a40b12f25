package dev.cumulus.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --state-dir} of the commands that work on a running installation ({@code build}, {@code builds}, {@code roots}, {@code gc}, {@code verify}). */
final class StateDirOption {
    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = ".cumulus",
            description = "The state directory of a running 'cumulus local' (default: ${DEFAULT-VALUE}); "
                    + "without its stack.env the environment says where AWS is.")
    Path stateDir;

    /** The environment, with the running stack's {@code stack.env} over it. */
    Map<String, String> environment() throws IOException {
        return StackEnvironment.read(stateDir);
    }
}
