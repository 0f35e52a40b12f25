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

    /**
     * The installation's store functions where they run: the Invoke API of a running {@code cumulus
     * local} (its {@code CUMULUS_LAMBDA_ENDPOINT}), or Lambda in AWS; in this process only against a
     * local stack that runs no functions ({@code cumulus local-stack}).
     */
    dev.cumulus.model.event.StoreFunctionClient functions() throws IOException {
        Map<String, String> env = environment();
        boolean emulated = env.containsKey("CUMULUS_DYNAMODB_ENDPOINT");
        boolean served = env.containsKey("CUMULUS_LAMBDA_ENDPOINT");
        return (served || !emulated ? StoreFunctionsOption.LAMBDA : StoreFunctionsOption.IN_PROCESS).client(env);
    }

    /** The environment, with the running stack's {@code stack.env} over it. */
    Map<String, String> environment() throws IOException {
        return StackEnvironment.read(stateDir);
    }
}
