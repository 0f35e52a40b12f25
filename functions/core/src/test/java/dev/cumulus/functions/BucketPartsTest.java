package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BucketPartsTest {
    private static final List<Integer> SIZES = List.of(1, 2, 5, 32, 33, 400, BucketParts.MAX);

    @Test
    void everyNarFileNarinfoAndCollectionFileIsListedByExactlyOnePartAndTheRestByNone() {
        List<String> swept = new ArrayList<>(List.of(CollectionFiles.PREFIX + "gc-1-ab/request"));
        for (int i = 0; i < 2_000; i++) {
            Hash hash = Hash.of(HashAlgorithm.SHA256, ("key " + i).getBytes());
            swept.add(BinaryCacheLayout.narKey(hash, i % 2 == 0 ? NarCompression.NONE : NarCompression.XZ));
            swept.add(BinaryCacheLayout.narInfoKey(TestStore.randomPath("p" + i)));
        }
        // Hash parts that start as the bucket's other names do (o, e, u and t are no hash's characters).
        for (String start : List.of("nar", "nix", "na", "ni", "n", "l", "r", "b", "g", "gc")) {
            String hashPart = (start + "0".repeat(32)).substring(0, 32);
            swept.add(hashPart + ".narinfo");
        }
        StorePath drv = TestStore.randomPath("x.drv");
        List<String> unswept = List.of(BinaryCacheLayout.CACHE_INFO, BinaryCacheLayout.logKey(drv),
                BinaryCacheLayout.realisationKey(DrvOutput.parse(TestStore.STORE,
                        "sha256:" + Hash.of(HashAlgorithm.SHA256, "d".getBytes()).encode(dev.cumulus.model.hash.HashFormat.BASE16) + "!out")),
                BinaryCacheLayout.BUILD_TRACE_PREFIX + drv.baseName() + "/out.doi");
        for (int size : SIZES) {
            BucketParts parts = BucketParts.of(size);
            assertEquals(size, parts.size());
            for (String key : swept) {
                List<Integer> listing = listedBy(parts, key);
                assertEquals(1, listing.size(), size + " parts: " + key + " is listed by " + listing);
                assertEquals(listing.getFirst(), parts.partOf(key), key);
            }
            for (String key : unswept) {
                assertEquals(size == 1 ? List.of(0) : List.of(), listedBy(parts, key), size + " parts: " + key);
            }
            for (int part = 0; part < size; part++) {
                assertTrue(!parts.prefixes(part).isEmpty(), size + " parts: part " + part + " lists nothing");
            }
        }
    }

    @Test
    void aBucketIsSweptInOneToTheMostParts() {
        assertThrows(IllegalArgumentException.class, () -> BucketParts.of(0));
        assertThrows(IllegalArgumentException.class, () -> BucketParts.of(BucketParts.MAX + 1));
    }

    /** The parts whose prefixes a listing of {@code key} would show it under. */
    private static List<Integer> listedBy(BucketParts parts, String key) {
        List<Integer> out = new ArrayList<>();
        for (int part = 0; part < parts.size(); part++) {
            for (String prefix : parts.prefixes(part)) {
                if (key.startsWith(prefix)) {
                    out.add(part);
                }
            }
        }
        return out;
    }
}
