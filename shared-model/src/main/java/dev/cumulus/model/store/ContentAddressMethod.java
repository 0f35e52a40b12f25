package dev.cumulus.model.store;

/** How content was hashed into a content address: a flat file, a NAR, or a text (only for .drv and friends). */
public enum ContentAddressMethod {
    FLAT("flat", ""),
    NAR("nar", "r:"),
    TEXT("text", "text:");

    private final String jsonName;
    private final String prefix;

    ContentAddressMethod(String jsonName, String prefix) {
        this.jsonName = jsonName;
        this.prefix = prefix;
    }

    /** The name in Nix's JSON: {@code flat}, {@code nar}, {@code text}. */
    public String jsonName() {
        return jsonName;
    }

    /** The prefix before the algorithm in a derivation's hashAlgo field: {@code ""}, {@code r:}, {@code text:}. */
    public String prefix() {
        return prefix;
    }

    /** The method of a derivation's hashAlgo field ({@code r:sha256} is NAR); the rest is the algorithm. */
    public static ContentAddressMethod fromPrefixed(String methodAlgo) {
        if (methodAlgo.startsWith(NAR.prefix)) {
            return NAR;
        }
        return methodAlgo.startsWith(TEXT.prefix) ? TEXT : FLAT;
    }

    public static ContentAddressMethod fromJsonName(String name) {
        for (ContentAddressMethod m : values()) {
            if (m.jsonName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown content-address method '" + name + "' (expected flat, nar or text)");
    }
}
