package dev.cumulus.proxy.backend;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.SingleFileCapture;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Derivations read out of the store: a {@code .drv} path's NAR, parsed. */
public final class StoreDerivations {
    private final StoreDir storeDir;
    private final NarService nars;

    public StoreDerivations(StoreDir storeDir, NarService nars) {
        this.storeDir = storeDir;
        this.nars = nars;
    }

    public Derivation read(StorePath drvPath) {
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        nars.narFromPath(drvPath, nar);
        SingleFileCapture file = new SingleFileCapture(SingleFileCapture.DERIVATION_LIMIT);
        try {
            NarReader.read(new ByteArrayInputStream(nar.toByteArray()), file);
            byte[] contents = file.contents().orElseThrow(() -> new IOException("it is not a single file"));
            return Derivation.parse(storeDir, Derivation.nameFromDrvPath(drvPath), contents);
        } catch (IOException e) {
            throw new StoreException("'" + storeDir.print(drvPath) + "' is not a derivation: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof StoreException || e instanceof UncheckedIOException) {
                throw e;
            }
            throw new StoreException("'" + storeDir.print(drvPath) + "' is not a derivation: " + e.getMessage());
        }
    }
}
