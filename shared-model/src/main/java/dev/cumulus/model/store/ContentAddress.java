package dev.cumulus.model.store;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;

/**
 * A content address: how a path's content was hashed and the hash, printed as Nix does:
 * {@code text:sha256:<nix32>}, {@code fixed:r:sha256:<nix32>} or {@code fixed:sha256:<nix32>}.
 */
public record ContentAddress(ContentAddressMethod method, Hash hash) {
    public ContentAddress {
        if (method == ContentAddressMethod.TEXT && hash.algorithm() != HashAlgorithm.SHA256) {
            throw new IllegalArgumentException("text content addresses must use sha256, not " + hash.algorithm());
        }
    }

    public static ContentAddress parse(String text) {
        if (text.startsWith("text:")) {
            return new ContentAddress(ContentAddressMethod.TEXT, Hash.parseAny(text.substring(5)));
        }
        if (text.startsWith("fixed:r:")) {
            return new ContentAddress(ContentAddressMethod.NAR, Hash.parseAny(text.substring(8)));
        }
        if (text.startsWith("fixed:")) {
            return new ContentAddress(ContentAddressMethod.FLAT, Hash.parseAny(text.substring(6)));
        }
        throw new IllegalArgumentException("'" + text + "' is not a content address (expected 'text:…' or 'fixed:…')");
    }

    /** The method and algorithm as a derivation's hashAlgo field has them: {@code r:sha256}. */
    public String methodAlgo() {
        return method.prefix() + hash.algorithm().nixName();
    }

    public String render() {
        return switch (method) {
            case TEXT -> "text:" + hash;
            case NAR -> "fixed:r:" + hash;
            case FLAT -> "fixed:" + hash;
        };
    }

    @Override
    public String toString() {
        return render();
    }
}
