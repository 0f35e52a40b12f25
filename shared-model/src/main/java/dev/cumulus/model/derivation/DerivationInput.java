package dev.cumulus.model.derivation;

import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The outputs wanted of one input derivation, and for dynamic derivations the outputs wanted of
 * the derivations those outputs are (Nix's DerivedPathMap node).
 */
public record DerivationInput(SortedSet<String> outputs, SortedMap<String, DerivationInput> dynamicOutputs) {
    public DerivationInput {
        outputs = Collections.unmodifiableSortedSet(new TreeSet<>(outputs));
        dynamicOutputs = Collections.unmodifiableSortedMap(new TreeMap<>(dynamicOutputs));
    }

    public static DerivationInput of(java.util.Collection<String> outputs) {
        return new DerivationInput(new TreeSet<>(outputs), new TreeMap<>());
    }

    public boolean isDynamic() {
        return !dynamicOutputs.isEmpty();
    }

    /** Both inputs' outputs together. */
    DerivationInput merge(DerivationInput other) {
        TreeSet<String> outs = new TreeSet<>(outputs);
        outs.addAll(other.outputs);
        TreeMap<String, DerivationInput> dyn = new TreeMap<>(dynamicOutputs);
        other.dynamicOutputs.forEach((k, v) -> dyn.merge(k, v, DerivationInput::merge));
        return new DerivationInput(outs, dyn);
    }
}
