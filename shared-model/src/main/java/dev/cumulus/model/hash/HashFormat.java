package dev.cumulus.model.hash;

/** The ways Nix writes a hash's digest. */
public enum HashFormat {
    BASE16,
    NIX32,
    BASE64,
    /** {@code sha256-<base64>}, as in Subresource Integrity. */
    SRI
}
