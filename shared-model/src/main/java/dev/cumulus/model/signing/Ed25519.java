package dev.cumulus.model.signing;

import java.security.SecureRandom;

/**
 * Raw Ed25519 (32-byte seeds and public keys, 64-byte signatures, as libsodium and Nix use them)
 * over BouncyCastle's RFC 8032 code. The JDK's implementation speaks only encoded keys, derives
 * the public key again for every signature, and took 2-3 ms a signature or a check on the
 * development machine against 0.1-0.4 ms here: a store signs every path it takes and checks every
 * narinfo it substitutes.
 */
final class Ed25519 {
    static final int SEED_SIZE = org.bouncycastle.math.ec.rfc8032.Ed25519.SECRET_KEY_SIZE;
    static final int PUBLIC_KEY_SIZE = org.bouncycastle.math.ec.rfc8032.Ed25519.PUBLIC_KEY_SIZE;
    static final int SIGNATURE_SIZE = org.bouncycastle.math.ec.rfc8032.Ed25519.SIGNATURE_SIZE;

    private Ed25519() {}

    /** The public key of a 32-byte seed. */
    static byte[] publicKeyOf(byte[] seed) {
        byte[] publicKey = new byte[PUBLIC_KEY_SIZE];
        org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(seed, 0, publicKey, 0);
        return publicKey;
    }

    /** The signature of {@code message} by the seed whose public key is {@code publicKey}. */
    static byte[] sign(byte[] seed, byte[] publicKey, byte[] message) {
        byte[] signature = new byte[SIGNATURE_SIZE];
        org.bouncycastle.math.ec.rfc8032.Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, signature, 0);
        return signature;
    }

    static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        return publicKey.length == PUBLIC_KEY_SIZE && signature.length == SIGNATURE_SIZE
                && org.bouncycastle.math.ec.rfc8032.Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
    }

    static byte[] randomSeed() {
        byte[] seed = new byte[SEED_SIZE];
        new SecureRandom().nextBytes(seed);
        return seed;
    }
}
