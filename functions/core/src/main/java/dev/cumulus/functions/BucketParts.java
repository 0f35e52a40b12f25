package dev.cumulus.functions;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.hash.Nix32;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The store bucket cut into parts by key prefix, so that a collection sweeps it one step a part, each
 * listing only its own prefixes: a bucket of tens of millions of objects is too much for one
 * invocation to list. One part is the whole bucket (one listing, as a small store wants). More parts
 * share out the NAR files ({@code nar/} and the first one or two characters of their hash), the
 * narinfos (the first characters of their hash part, lengthened where a prefix would also take in
 * one of the bucket's directories, so that no narinfo prefix lists {@code nar/} or the logs) and the
 * collections' files. What lies under no part (logs, realisations, {@code nix-cache-info}) is never
 * swept.
 */
final class BucketParts {
    /** The most parts: two characters of the hash a prefix, for NAR files and narinfos alike. */
    static final int MAX = 32 * 32;

    /** The top-level names besides narinfos: a narinfo prefix that would take them in is lengthened. */
    private static final List<String> OTHER_NAMES = List.of(BinaryCacheLayout.NAR_PREFIX, BinaryCacheLayout.LOG_PREFIX,
            BinaryCacheLayout.REALISATIONS_PREFIX, BinaryCacheLayout.BUILD_TRACE_PREFIX, BinaryCacheLayout.CACHE_INFO,
            CollectionFiles.PREFIX);

    private final List<List<String>> prefixes;
    private final Map<String, Integer> partOfPrefix = new HashMap<>();
    private final int longestPrefix;

    private BucketParts(List<List<String>> prefixes) {
        this.prefixes = prefixes;
        int longest = 0;
        for (int part = 0; part < prefixes.size(); part++) {
            for (String prefix : prefixes.get(part)) {
                partOfPrefix.put(prefix, part);
                longest = Math.max(longest, prefix.length());
            }
        }
        this.longestPrefix = longest;
    }

    /** The bucket in {@code parts} parts (1 to {@value #MAX}), each about as large as the others. */
    static BucketParts of(int parts) {
        if (parts < 1 || parts > MAX) {
            throw new IllegalArgumentException("a bucket is swept in 1 to " + MAX + " parts, not " + parts);
        }
        List<List<String>> byPart = new ArrayList<>();
        for (int part = 0; part < parts; part++) {
            byPart.add(new ArrayList<>());
        }
        if (parts == 1) {
            byPart.getFirst().add("");
            return new BucketParts(byPart);
        }
        List<String> hashPrefixes = hashPrefixes(parts <= 32 ? 1 : 2);
        List<String> units = new ArrayList<>();
        hashPrefixes.forEach(h -> units.add(BinaryCacheLayout.NAR_PREFIX + h));
        hashPrefixes.forEach(h -> narInfoPrefixes(h, units));
        units.add(CollectionFiles.PREFIX);
        // Round the parts: consecutive prefixes hold about as much as each other, so each part gets
        // its share of the NAR files and of the narinfos.
        for (int i = 0; i < units.size(); i++) {
            byPart.get(i % parts).add(units.get(i));
        }
        return new BucketParts(byPart);
    }

    int size() {
        return prefixes.size();
    }

    /** The key prefixes part {@code part} lists. */
    List<String> prefixes(int part) {
        return prefixes.get(part);
    }

    /** The part whose listing shows {@code key}, or -1 when none does. */
    int partOf(String key) {
        for (int length = 0; length <= Math.min(longestPrefix, key.length()); length++) {
            Integer part = partOfPrefix.get(key.substring(0, length));
            if (part != null) {
                return part;
            }
        }
        return -1;
    }

    private static List<String> hashPrefixes(int length) {
        List<String> out = new ArrayList<>(List.of(""));
        for (int i = 0; i < length; i++) {
            List<String> longer = new ArrayList<>();
            for (String p : out) {
                for (char c : Nix32.ALPHABET.toCharArray()) {
                    longer.add(p + c);
                }
            }
            out = longer;
        }
        return out;
    }

    /** {@code prefix}, or the longer prefixes it splits into where it would take in another top-level name. */
    private static void narInfoPrefixes(String prefix, List<String> out) {
        if (OTHER_NAMES.stream().noneMatch(name -> name.startsWith(prefix))) {
            out.add(prefix);
            return;
        }
        for (char c : Nix32.ALPHABET.toCharArray()) {
            narInfoPrefixes(prefix + c, out);
        }
    }
}
