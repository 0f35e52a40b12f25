package dev.cumulus.model.signing;

import java.util.Arrays;

/** A detached Ed25519 signature with the name of the key that made it: {@code name:base64}. */
public record Signature(String keyName, byte[] bytes) {
    public Signature {
        if (bytes.length != 64) {
            throw new IllegalArgumentException("an Ed25519 signature has 64 bytes, not " + bytes.length);
        }
        bytes = bytes.clone();
    }

    public static Signature parse(String text) {
        KeyText k = KeyText.parse(text, "signature", 64);
        return new Signature(k.name(), k.bytes());
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public String render() {
        return new KeyText(keyName, bytes).render();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Signature s && s.keyName.equals(keyName) && Arrays.equals(s.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return keyName.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return render();
    }
}
