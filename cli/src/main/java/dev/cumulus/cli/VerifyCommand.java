package dev.cumulus.cli;

import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.StoreVerification;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./cumulus verify}: checks the store's invariants; exit status 1 when any is violated. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks that every valid path's NAR file is in the bucket (and, with --check-contents, "
                + "has the recorded hash and the narinfo the bucket serves describes it) and that every path it references "
                + "is valid. With --repair, a damaged NAR is fetched again from the substituters (CUMULUS_SUBSTITUTERS) "
                + "and a wrong narinfo written again from the store's record."})
final class VerifyCommand implements Callable<Integer> {
    @Option(names = "--check-contents", description = "Read and hash every NAR, not only look for it.")
    boolean checkContents;

    @Option(names = "--repair", description = "Restore what is damaged where it can be; report what cannot be.")
    boolean repair;

    @Option(names = "--segments", paramLabel = "N", defaultValue = "" + StoreVerification.DEFAULT_SEGMENTS,
            description = "Spread the verification over N invocations of the verify-store function at once, "
                    + "a scan segment each (default: ${DEFAULT-VALUE}; more for larger stores: no invocation may "
                    + "outlast the function's timeout; 1: one invocation, which checks the NAR files against one "
                    + "listing of the bucket).")
    int segments;

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        if (segments < 1) {
            System.err.println("cumulus verify: --segments must be at least 1");
            return 2;
        }
        StoreVerified verified = StoreVerification.run(state.functions(), checkContents, repair, segments);
        verified.repaired().forEach(System.out::println);
        verified.violations().forEach(System.out::println);
        System.err.printf("%d paths checked, %d violations%s%n", verified.pathsChecked(), verified.violations().size(),
                repair ? " left, " + verified.repaired().size() + " repaired" : "");
        return verified.violations().isEmpty() ? 0 : 1;
    }
}
