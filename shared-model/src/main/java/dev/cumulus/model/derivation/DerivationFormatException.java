package dev.cumulus.model.derivation;

/** Text that is not a valid derivation, in ATerm or JSON form. */
public class DerivationFormatException extends IllegalArgumentException {
    public DerivationFormatException(String message) {
        super(message);
    }
}
