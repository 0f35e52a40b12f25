package dev.cumulus.model.hash;

/**
 * Nix's base-32: the alphabet omits e, o, u and t, and the bytes are read from the end, so the
 * text is not RFC 4648 base32 of the same bytes.
 */
public final class Nix32 {
    public static final String ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

    private static final byte[] DIGIT = new byte[128];

    static {
        java.util.Arrays.fill(DIGIT, (byte) -1);
        for (int i = 0; i < ALPHABET.length(); i++) {
            DIGIT[ALPHABET.charAt(i)] = (byte) i;
        }
    }

    private Nix32() {}

    /** Length of the nix32 text for {@code byteLength} bytes. */
    public static int encodedLength(int byteLength) {
        return (byteLength * 8 + 4) / 5;
    }

    /** True if {@code c} is one of the 32 digits. */
    public static boolean isDigit(int c) {
        return c >= 0 && c < 128 && DIGIT[c] >= 0;
    }

    public static String encode(byte[] bytes) {
        int len = encodedLength(bytes.length);
        char[] out = new char[len];
        for (int n = len - 1; n >= 0; n--) {
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            int c = (bytes[i] & 0xff) >>> j;
            if (i + 1 < bytes.length) {
                c |= (bytes[i + 1] & 0xff) << (8 - j);
            }
            out[len - 1 - n] = ALPHABET.charAt(c & 0x1f);
        }
        return new String(out);
    }

    /**
     * Decodes nix32 text into {@code byteLength} bytes.
     *
     * @throws IllegalArgumentException if the text has a character outside the alphabet, the wrong
     *     length, or bits set beyond {@code byteLength} bytes
     */
    public static byte[] decode(CharSequence text, int byteLength) {
        if (text.length() != encodedLength(byteLength)) {
            throw new IllegalArgumentException("nix32 text of " + byteLength + " bytes must have "
                    + encodedLength(byteLength) + " characters, not " + text.length());
        }
        byte[] out = new byte[byteLength];
        int len = text.length();
        for (int n = 0; n < len; n++) {
            char c = text.charAt(len - n - 1);
            int digit = c < 128 ? DIGIT[c] : -1;
            if (digit < 0) {
                throw new IllegalArgumentException("invalid character '" + c + "' in nix32 text '" + text + "'");
            }
            int b = n * 5;
            int i = b / 8;
            int j = b % 8;
            out[i] |= (byte) (digit << j);
            int carry = digit >>> (8 - j);
            if (i < byteLength - 1) {
                out[i + 1] |= (byte) carry;
            } else if (carry != 0) {
                throw new IllegalArgumentException("nix32 text '" + text + "' has bits beyond " + byteLength + " bytes");
            }
        }
        return out;
    }
}
