package dev.cumulus.model.signing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An Ed25519 secret key in Nix's format: {@code name:base64(64 bytes)}, the 32-byte seed followed
 * by the public key, as libsodium stores it.
 */
public final class SecretKey {
    private final String name;
    private final byte[] seed;
    private final byte[] publicKey;

    private SecretKey(String name, byte[] seed, byte[] publicKey) {
        if (name.isEmpty() || name.indexOf(':') >= 0) {
            throw new IllegalArgumentException("key name '" + name + "' must be non-empty and have no ':'");
        }
        this.name = name;
        this.seed = seed;
        this.publicKey = publicKey;
    }

    public static SecretKey generate(String name) {
        byte[] seed = Ed25519.randomSeed();
        return new SecretKey(name, seed, Ed25519.publicKeyOf(seed));
    }

    public static SecretKey parse(String text) {
        KeyText k = KeyText.parse(text, "secret key", 64);
        byte[] seed = Arrays.copyOfRange(k.bytes(), 0, 32);
        byte[] stored = Arrays.copyOfRange(k.bytes(), 32, 64);
        byte[] derived = Ed25519.publicKeyOf(seed);
        if (!Arrays.equals(stored, derived)) {
            throw new IllegalArgumentException("secret key '" + k.name() + "' is corrupt: its public half does not match its seed");
        }
        return new SecretKey(k.name(), seed, derived);
    }

    public String name() {
        return name;
    }

    public PublicKey publicKey() {
        return new PublicKey(name, publicKey);
    }

    public Signature sign(String fingerprint) {
        return new Signature(name, Ed25519.sign(seed, publicKey, fingerprint.getBytes(StandardCharsets.UTF_8)));
    }

    public String render() {
        byte[] both = Arrays.copyOf(seed, 64);
        System.arraycopy(publicKey, 0, both, 32, 32);
        return new KeyText(name, both).render();
    }

    @Override
    public String toString() {
        return "SecretKey[" + name + "]";
    }
}
