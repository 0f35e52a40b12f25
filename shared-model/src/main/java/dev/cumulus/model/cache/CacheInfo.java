package dev.cumulus.model.cache;

import java.util.OptionalInt;

/**
 * A binary cache's {@code nix-cache-info}: the store directory its paths belong to, whether it wants
 * mass queries, and its priority (lower is asked first; Nix's default is 50).
 */
public record CacheInfo(String storeDir, boolean wantMassQuery, int priority) {
    public static final int DEFAULT_PRIORITY = 50;

    /** Parses the file as Nix does: {@code Key: value} lines, unknown keys ignored. */
    public static CacheInfo parse(String text) {
        String storeDir = null;
        boolean massQuery = false;
        OptionalInt priority = OptionalInt.empty();
        for (String line : text.split("\n", -1)) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "StoreDir" -> storeDir = value;
                case "WantMassQuery" -> massQuery = value.equals("1");
                case "Priority" -> {
                    try {
                        priority = OptionalInt.of(Integer.parseInt(value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("nix-cache-info has an invalid Priority '" + value + "'");
                    }
                }
                default -> { }
            }
        }
        if (storeDir == null) {
            throw new IllegalArgumentException("nix-cache-info names no StoreDir");
        }
        return new CacheInfo(storeDir, massQuery, priority.orElse(DEFAULT_PRIORITY));
    }
}
