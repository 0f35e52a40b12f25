package dev.cumulus.model.derived;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;

/**
 * The id of one output of a derivation, the key of a realisation. Nix up to 2.34 keys by the
 * derivation's hash modulo ({@code sha256:<base16>!out}); Nix 2.35 keys by the derivation's path
 * ({@code <drvPath>^out}). Both are in use and both are kept apart.
 */
public sealed interface DrvOutput extends Comparable<DrvOutput> {
    String outputName();

    String render(StoreDir storeDir);

    /** The legacy id: {@code sha256:<base16 hash modulo>!<output>}. */
    record ByHash(Hash drvHash, String outputName) implements DrvOutput {
        public ByHash {
            OutputsSpec.checkOutputName(outputName);
        }

        @Override
        public String render(StoreDir storeDir) {
            return render();
        }

        public String render() {
            return drvHash.algorithm().nixName() + ":" + drvHash.toBase16() + "!" + outputName;
        }

        public static ByHash parse(String text) {
            int bang = text.lastIndexOf('!');
            if (bang < 0) {
                throw new IllegalArgumentException("'" + text + "' is not a derivation output id (expected 'sha256:<hash>!<output>')");
            }
            return new ByHash(Hash.parseAny(text.substring(0, bang)), text.substring(bang + 1));
        }
    }

    /** The Nix 2.35 id: {@code <drvPath>^<output>}. */
    record ByPath(StorePath drvPath, String outputName) implements DrvOutput {
        public ByPath {
            OutputsSpec.checkOutputName(outputName);
            if (!drvPath.isDerivation()) {
                throw new IllegalArgumentException("'" + drvPath + "' is not a derivation path");
            }
        }

        @Override
        public String render(StoreDir storeDir) {
            return storeDir.print(drvPath) + "^" + outputName;
        }

        public static ByPath parse(StoreDir storeDir, String text) {
            int caret = text.lastIndexOf('^');
            if (caret < 0) {
                throw new IllegalArgumentException("'" + text + "' is not a derivation output id (expected '<drvPath>^<output>')");
            }
            return new ByPath(storeDir.parse(text.substring(0, caret)), text.substring(caret + 1));
        }
    }

    /** Parses either form. */
    static DrvOutput parse(StoreDir storeDir, String text) {
        return text.indexOf('^') >= 0 ? ByPath.parse(storeDir, text) : ByHash.parse(text);
    }

    @Override
    default int compareTo(DrvOutput o) {
        return render(StoreDir.DEFAULT).compareTo(o.render(StoreDir.DEFAULT));
    }
}
