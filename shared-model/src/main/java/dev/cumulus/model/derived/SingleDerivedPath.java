package dev.cumulus.model.derived;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;

/** One store path that exists already (opaque) or is one output of a derivation (which may itself be built). */
public sealed interface SingleDerivedPath {
    record Opaque(StorePath path) implements SingleDerivedPath {
        @Override
        public String render(StoreDir storeDir) {
            return storeDir.print(path);
        }
    }

    record Built(SingleDerivedPath drvPath, String output) implements SingleDerivedPath {
        public Built {
            OutputsSpec.checkOutputName(output);
        }

        @Override
        public String render(StoreDir storeDir) {
            return drvPath.render(storeDir) + "!" + output;
        }
    }

    /** {@code /nix/store/…} or {@code /nix/store/….drv!out}, nested for dynamic derivations ({@code …drv!a!b}). */
    String render(StoreDir storeDir);

    static SingleDerivedPath parse(StoreDir storeDir, String text) {
        int bang = text.lastIndexOf('!');
        if (bang < 0) {
            return new Opaque(storeDir.parse(text));
        }
        return new Built(parse(storeDir, text.substring(0, bang)), text.substring(bang + 1));
    }
}
