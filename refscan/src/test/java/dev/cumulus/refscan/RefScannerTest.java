package dev.cumulus.refscan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class RefScannerTest {
    static final String NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

    static String randomHashPart(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            sb.append(NIX32.charAt(r.nextInt(32)));
        }
        return sb.toString();
    }

    static List<String> randomHashParts(Random r, int count) {
        List<String> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            parts.add(randomHashPart(r));
        }
        return parts;
    }

    /** The obvious scan: every needle searched for in the whole stream. */
    static int[] naive(List<String> needles, byte[] data) {
        String s = new String(data, StandardCharsets.ISO_8859_1);
        return IntStream.range(0, needles.size()).filter(i -> s.contains(needles.get(i))).toArray();
    }

    static int[] scanInChunks(List<String> needles, byte[] data, int[] cuts) {
        RefScanner sc = new RefScanner(needles);
        int pos = 0;
        for (int cut : cuts) {
            int end = Math.min(data.length, pos + cut);
            sc.update(data, pos, end - pos);
            pos = end;
        }
        sc.update(data, pos, data.length - pos);
        return sc.foundIndices();
    }

    @Test
    void findsANeedleInAStorePathAndNotOthers() {
        List<String> needles = List.of("7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv", "0000000000000000000000000000000a");
        byte[] data = "#!/nix/store/7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv-bash-5.2/bin/sh\n".getBytes(StandardCharsets.US_ASCII);
        RefScanner sc = new RefScanner(needles);
        sc.update(data);
        assertArrayEquals(new int[] {0}, sc.foundIndices());
        assertEquals(List.of("7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv"), sc.foundNeedles());
    }

    @Test
    void findsANeedleSplitAcrossOneByteChunks() {
        String needle = "7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv";
        byte[] data = ("xx" + needle + "yy").getBytes(StandardCharsets.US_ASCII);
        RefScanner sc = new RefScanner(List.of(needle));
        for (byte b : data) {
            sc.update(new byte[] {b});
        }
        assertTrue(sc.allFound());
    }

    @Test
    void findsNeedlesInsideALongRunOfDigits() {
        Random r = new Random(1);
        String a = randomHashPart(r);
        String b = randomHashPart(r);
        byte[] data = ("0123" + a + "99" + b + "zz").getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(new int[] {0, 1}, scanInChunks(List.of(a, b, randomHashPart(r)), data, new int[] {17, 5}));
    }

    @Test
    void rejectsNeedlesThatAreNotHashParts() {
        assertThrows(IllegalArgumentException.class, () -> new RefScanner(List.of("tooshort")));
        assertThrows(IllegalArgumentException.class, () -> new RefScanner(List.of("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")));
        String n = "7dx1jz1xz4j0wk0kxk7x9k4z6wfqq3mv";
        assertThrows(IllegalArgumentException.class, () -> new RefScanner(List.of(n, n)));
    }

    @Test
    void manyNeedlesInMixedData() {
        Random r = new Random(42);
        List<String> needles = randomHashParts(r, 20_000);
        byte[] data = new byte[1 << 20];
        r.nextBytes(data);
        for (int k = 0; k < 200; k++) {
            // Runs of digits that are near-misses, and planted needles.
            int at = r.nextInt(data.length - 40);
            byte[] s = (k % 2 == 0 ? needles.get(r.nextInt(needles.size())) : randomHashPart(r) + "abc")
                    .getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(s, 0, data, at, s.length);
        }
        assertArrayEquals(naive(needles, data), scanInChunks(needles, data, new int[] {4096, 31, 1, 65536, 7}));
    }

    @Test
    void everyNeedleIsFoundThoughFoundOnesLeaveTheFilter() {
        // 20,000 needles share filter bits; each found needle takes its bits out, which must not
        // hide a needle that shares them and comes later. Every needle appears twice, in store paths.
        Random r = new Random(7);
        List<String> needles = randomHashParts(r, 20_000);
        List<String> occurrences = new ArrayList<>(needles);
        occurrences.addAll(needles);
        Collections.shuffle(occurrences, r);
        StringBuilder text = new StringBuilder();
        for (String n : occurrences) {
            text.append("/nix/store/").append(n).append("-x ");
        }
        List<String> wanted = new ArrayList<>(needles.subList(0, 10_000));
        wanted.addAll(randomHashParts(r, 10_000));
        byte[] data = text.toString().getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(IntStream.range(0, 10_000).toArray(), scanInChunks(wanted, data, new int[] {65536, 3, 1000}));
    }

    @Provide
    Arbitrary<byte[]> nearlyNix32() {
        // Mostly digits, so that long runs and near-matches are common, and long enough for windows
        // far from either end of a chunk.
        return Arbitraries.frequencyOf(
                        Tuple.of(9, Arbitraries.of(NIX32.chars().mapToObj(c -> (byte) c).toList())),
                        Tuple.of(1, Arbitraries.bytes()))
                .list().ofMaxSize(3000)
                .map(l -> {
                    byte[] b = new byte[l.size()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = l.get(i);
                    }
                    return b;
                });
    }

    @Property(tries = 1000)
    void sameAsTheObviousScanWhateverTheChunks(@ForAll("nearlyNix32") byte[] data,
                                               @ForAll @IntRange(min = 1, max = 1000) int chunk,
                                               @ForAll @IntRange(min = 0, max = 10_000) int seed) {
        Random r = new Random(seed);
        List<String> needles = new ArrayList<>();
        for (int i = 0; i + 32 <= data.length && needles.size() < 8; i += 1 + r.nextInt(400)) {
            String window = new String(data, i, 32, StandardCharsets.ISO_8859_1);
            if (window.chars().allMatch(c -> NIX32.indexOf(c) >= 0) && !needles.contains(window)) {
                needles.add(window);
            }
        }
        needles.add(randomHashPart(r));
        int[] cuts = IntStream.generate(() -> 1 + r.nextInt(chunk)).limit(data.length).toArray();
        assertArrayEquals(naive(needles, data), scanInChunks(needles, data, cuts));
    }
}
