package dev.cumulus.model.event;

import java.util.Map;

/**
 * A path to register: its info, where its NAR is, and, for a {@code .drv}, its outputs by name (the
 * value is null for an output whose path is only known once built).
 */
public record NewPath(PathInfoEvent info, NarObject nar, Map<String, String> derivationOutputs) {

    public NewPath {
        derivationOutputs = derivationOutputs == null ? Map.of() : derivationOutputs;
    }
}
