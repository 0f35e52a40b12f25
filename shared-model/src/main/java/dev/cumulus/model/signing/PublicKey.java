package dev.cumulus.model.signing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;

/** An Ed25519 public key in Nix's format: {@code name:base64(32 bytes)}. */
public record PublicKey(String name, byte[] key) {
    public PublicKey {
        if (key.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + key.length);
        }
        key = key.clone();
    }

    public static PublicKey parse(String text) {
        KeyText k = KeyText.parse(text, "public key", 32);
        return new PublicKey(k.name(), k.bytes());
    }

    /** True if {@code signature} was made by this key (same name) over {@code fingerprint}. */
    public boolean verify(String fingerprint, Signature signature) {
        return signature.keyName().equals(name)
                && Ed25519.verify(key, fingerprint.getBytes(StandardCharsets.UTF_8), signature.bytes());
    }

    /** True if any of {@code signatures} verifies with any of {@code keys}. */
    public static boolean anyVerifies(Collection<PublicKey> keys, String fingerprint, Collection<Signature> signatures) {
        for (Signature s : signatures) {
            for (PublicKey k : keys) {
                if (k.verify(fingerprint, s)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    public String render() {
        return new KeyText(name, key).render();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PublicKey p && p.name.equals(name) && Arrays.equals(p.key, key);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return render();
    }
}
