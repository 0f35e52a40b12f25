package dev.cumulus.model.signing;

import java.util.Base64;

/** Nix's {@code name:base64} text, used for secret keys, public keys and signatures alike. */
record KeyText(String name, byte[] bytes) {
    static KeyText parse(String text, String what, int expectedLength) {
        String t = text.strip();
        int colon = t.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(what + " must be 'name:base64', got '" + abbreviate(t) + "'");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(t.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " '" + abbreviate(t) + "' is not valid base64");
        }
        if (bytes.length != expectedLength) {
            throw new IllegalArgumentException(what + " '" + t.substring(0, colon) + "' must hold " + expectedLength
                    + " bytes, not " + bytes.length);
        }
        return new KeyText(t.substring(0, colon), bytes);
    }

    String render() {
        return name + ":" + Base64.getEncoder().encodeToString(bytes);
    }

    private static String abbreviate(String s) {
        return s.length() > 20 ? s.substring(0, 20) + "…" : s;
    }
}
