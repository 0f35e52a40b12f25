package dev.cumulus.model.derivation;

import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.StorePath;

/** How one output of a derivation gets its path. */
public sealed interface DerivationOutput {
    /** The path is fixed in advance from the derivation's hash modulo fixed outputs. */
    record InputAddressed(StorePath path) implements DerivationOutput {}

    /** A fixed-output derivation: the content's hash is known in advance, and with it the path. */
    record CaFixed(ContentAddress ca) implements DerivationOutput {}

    /** A floating content-addressed output: the path is computed from the content after the build. */
    record CaFloating(ContentAddressMethod method, HashAlgorithm hashAlgorithm) implements DerivationOutput {}

    /** An input-addressed output whose path is not known yet because an input is content-addressed. */
    record Deferred() implements DerivationOutput {}

    /** An impure output: content-addressed, and never reused. */
    record Impure(ContentAddressMethod method, HashAlgorithm hashAlgorithm) implements DerivationOutput {}
}
