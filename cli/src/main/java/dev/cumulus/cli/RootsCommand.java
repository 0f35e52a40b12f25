package dev.cumulus.cli;

import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.RootEvents.RemoveRoot;
import dev.cumulus.model.event.RootEvents.Root;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ./cumulus roots [add NAME PATH | remove NAME]}: the store's GC roots. Nix 2.8 cannot add a
 * root to a remote store (its AddPermRoot is for local daemons), so named roots are kept from here.
 */
@Command(name = "roots", mixinStandardHelpOptions = true,
        description = {"Lists the GC roots (named, and temporary ones of open connections), "
                + "or with 'add NAME PATH' / 'remove NAME' keeps or drops a named root."})
final class RootsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "add NAME PATH | remove NAME", arity = "0..3")
    List<String> words = new ArrayList<>();

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        StoreFunctionClient functions = state.functions();
        if (words.isEmpty()) {
            for (Root r : functions.call(StoreFunction.LIST_ROOTS, new ListRoots()).roots()) {
                System.out.println(r.name() + " -> " + r.path());
            }
            return 0;
        }
        if (words.size() == 3 && words.get(0).equals("add")) {
            functions.call(StoreFunction.ADD_ROOT, new AddRoot(words.get(1), words.get(2)));
            return 0;
        }
        if (words.size() == 2 && words.get(0).equals("remove")) {
            functions.call(StoreFunction.REMOVE_ROOT, new RemoveRoot(words.get(1)));
            return 0;
        }
        System.err.println("usage: cumulus roots [add NAME PATH | remove NAME]");
        return 2;
    }
}
