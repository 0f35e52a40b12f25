package dev.cumulus.model.derived;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;

/**
 * What a build is asked for: a path that exists (opaque) or some outputs of a derivation, written
 * {@code /nix/store/….drv!out,dev} or {@code …drv!*}.
 */
public sealed interface DerivedPath {
    record Opaque(StorePath path) implements DerivedPath {
        @Override
        public String render(StoreDir storeDir) {
            return storeDir.print(path);
        }
    }

    record Built(SingleDerivedPath drvPath, OutputsSpec outputs) implements DerivedPath {
        @Override
        public String render(StoreDir storeDir) {
            return drvPath.render(storeDir) + "!" + outputs.render();
        }
    }

    String render(StoreDir storeDir);

    static DerivedPath parse(StoreDir storeDir, String text) {
        int bang = text.lastIndexOf('!');
        if (bang < 0) {
            return new Opaque(storeDir.parse(text));
        }
        return new Built(SingleDerivedPath.parse(storeDir, text.substring(0, bang)), OutputsSpec.parse(text.substring(bang + 1)));
    }

    static DerivedPath built(StorePath drvPath, OutputsSpec outputs) {
        return new Built(new SingleDerivedPath.Opaque(drvPath), outputs);
    }
}
