package dev.cumulus.model.event;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.LinkedHashMap;
import java.util.List;

import java.util.Map;

/**
 * A path to register: its info, where its NAR is, and, for a {@code .drv}, its outputs by name (the
 * value is null for an output whose path is only known once built). {@code storeSignatures} are the
 * store's own signatures, added once the path is accepted: they are not what the signature check
 * looks at, so an upload cannot vouch for itself by passing through the proxy that signs it.
 */
public record NewPath(PathInfoEvent info, NarObject nar, Map<String, String> derivationOutputs,
                      List<String> storeSignatures) {

    public NewPath {
        derivationOutputs = derivationOutputs == null ? Map.of() : derivationOutputs;
        storeSignatures = storeSignatures == null ? List.of() : List.copyOf(storeSignatures);
    }

    public NewPath(PathInfoEvent info, NarObject nar, Map<String, String> derivationOutputs) {
        this(info, nar, derivationOutputs, List.of());
    }

    /**
     * The {@code derivationOutputs} of a path whose NAR is the single file {@code contents}: its
     * outputs when the path is a {@code .drv} that parses as a derivation, else none (a file named
     * {@code .drv} that is not a derivation is just a file).
     */
    public static Map<String, String> derivationOutputs(StoreDir storeDir, StorePath path, byte[] contents) {
        if (!path.isDerivation() || contents == null) {
            return Map.of();
        }
        Derivation drv;
        try {
            drv = Derivation.parse(storeDir, Derivation.nameFromDrvPath(path), contents);
        } catch (RuntimeException e) {
            return Map.of();
        }
        Map<String, String> outputs = new LinkedHashMap<>();
        drv.outputPaths(storeDir).forEach((name, out) -> outputs.put(name, out.map(storeDir::print).orElse(null)));
        return outputs;
    }
}
