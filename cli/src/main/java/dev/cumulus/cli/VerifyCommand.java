package dev.cumulus.cli;

import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.StoreFunction;
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

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        StoreVerified verified = state.functions()
                .call(StoreFunction.VERIFY_STORE, new VerifyStore(checkContents, repair));
        verified.repaired().forEach(System.out::println);
        verified.violations().forEach(System.out::println);
        System.err.printf("%d paths checked, %d violations%s%n", verified.pathsChecked(), verified.violations().size(),
                repair ? " left, " + verified.repaired().size() + " repaired" : "");
        return verified.violations().isEmpty() ? 0 : 1;
    }
}
