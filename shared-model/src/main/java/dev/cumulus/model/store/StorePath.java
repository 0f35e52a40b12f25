package dev.cumulus.model.store;

import dev.cumulus.model.hash.Nix32;

/**
 * A store path without its store directory: a 32-character nix32 hash part and a name. Use
 * {@link StoreDir} to parse or print the full path.
 */
public record StorePath(String hashPart, String name) implements Comparable<StorePath> {
    public static final int HASH_PART_LENGTH = 32;
    /** Bytes of the path hash, before nix32. */
    public static final int HASH_BYTES = 20;
    /** Nix's limit on the name (255 minus the hash part, the dash and room for ".drv" and friends). */
    public static final int MAX_NAME_LENGTH = 211;

    public StorePath {
        checkHashPart(hashPart);
        checkName(name);
    }

    /** Parses {@code <hash>-<name>}, the store path's base name. */
    public static StorePath parseBaseName(String baseName) {
        if (baseName.length() < HASH_PART_LENGTH + 2 || baseName.charAt(HASH_PART_LENGTH) != '-') {
            throw new InvalidStorePathException("'" + baseName + "' is not a store path name (expected '<32 char hash>-<name>')");
        }
        return new StorePath(baseName.substring(0, HASH_PART_LENGTH), baseName.substring(HASH_PART_LENGTH + 1));
    }

    public static void checkHashPart(String hashPart) {
        if (hashPart.length() != HASH_PART_LENGTH) {
            throw new InvalidStorePathException("store path hash '" + hashPart + "' must be " + HASH_PART_LENGTH + " characters");
        }
        for (int i = 0; i < hashPart.length(); i++) {
            if (!Nix32.isDigit(hashPart.charAt(i))) {
                throw new InvalidStorePathException("store path hash '" + hashPart + "' has a character outside nix32");
            }
        }
    }

    /** Nix's name rule: 1 to 211 of {@code [A-Za-z0-9+-._?=]}, and not {@code .}, {@code ..} or starting with {@code .-}/{@code ..-}. */
    public static void checkName(String name) {
        if (name.isEmpty()) {
            throw new InvalidStorePathException("store path name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new InvalidStorePathException("store path name '" + name + "' is longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (name.charAt(0) == '.') {
            if (name.equals(".") || name.equals("..") || name.startsWith(".-") || name.startsWith("..-")) {
                throw new InvalidStorePathException("store path name '" + name + "' is not allowed");
            }
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isNameCharacter(name.charAt(i))) {
                throw new InvalidStorePathException("store path name '" + name + "' has the invalid character '"
                        + name.charAt(i) + "'");
            }
        }
    }

    /** The characters store path names (and derivation output names) are made of: {@code [A-Za-z0-9+-._?=]}. */
    public static boolean isNameCharacter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
    }

    public String baseName() {
        return hashPart + "-" + name;
    }

    public boolean isDerivation() {
        return name.endsWith(".drv");
    }

    /** Nix's order, that of the base names: by hash part, then name (the hash part has a fixed length). */
    @Override
    public int compareTo(StorePath o) {
        int c = hashPart.compareTo(o.hashPart);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return baseName();
    }
}
