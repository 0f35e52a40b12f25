package dev.cumulus.functions;

import dev.cumulus.functions.CollectionFiles.ScannedPath;
import dev.cumulus.functions.CollectionFiles.ScannedSegment;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The heap a collection's plan needs for its map of the scan ({@link GarbageCollector#index}), per
 * path, with one and with five references a path: segments of 100,000 synthetic paths written as
 * the scan writes them, read back and indexed as the plan does; the heap measured after full
 * collections, once while the names' pool is still held (the peak of reading) and once after.
 * Projects the peak to 10^7 paths against the collection-steps function's heap (85 % of its
 * 10,240 MB) and says whether it fits.
 *
 * <p>{@code functions/core/bench plan-memory [PATHS]}
 */
public final class PlanMemoryBenchmark {
    private static final long HEAP_AT_10_240_MB = 10_240L * 1024 * 1024 * 85 / 100;
    private static final long STORE = 10_000_000;

    private PlanMemoryBenchmark() {}

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        System.out.println("| references a path | bytes a path, held | while reading (peak) | 10^7 paths, peak | fits 85 % of 10,240 MB |");
        System.out.println("| --- | --- | --- | --- | --- |");
        boolean fits = true;
        for (int refs : new int[] {1, 5}) {
            long[] bytes = measure(n, refs);
            long projected = bytes[1] * STORE;
            boolean ok = projected < HEAP_AT_10_240_MB;
            fits &= ok;
            System.out.printf("| %d | %d | %d | %.1f GB | %s |%n", refs, bytes[0], bytes[1], projected / 1e9, ok ? "met" : "**missed**");
        }
        System.out.println();
        System.out.println(fits ? "every target met" : "target missed: the plan's map of 10^7 paths does not fit");
        System.exit(fits ? 0 : 1);
    }

    /** Bytes a path: held once read, and at the peak of reading. */
    private static long[] measure(int n, int refs) {
        String[] names = new String[n];
        for (int i = 0; i < n; i++) {
            names[i] = Hash.sha256("path " + i).toNix32().substring(0, 32) + "-package-" + (i / 100) + "-" + (i % 100);
        }
        List<byte[]> segments = new ArrayList<>();
        for (int from = 0; from < n; from += 100_000) {
            List<ScannedPath> segment = new ArrayList<>();
            for (int i = from; i < Math.min(n, from + 100_000); i++) {
                List<String> references = new ArrayList<>();
                for (int k = 1; k <= refs && i - k >= 0; k++) {
                    references.add(names[i - k]);
                }
                // Half the paths' derivers are in the store too.
                String deriver = i % 2 == 0 ? names[(int) ((i * 7L) % n)]
                        : Hash.sha256("deriver " + i).toNix32().substring(0, 32) + "-package.drv";
                segment.add(new ScannedPath(names[i], references, deriver, 1000, 1_700_000_000L, null,
                        "nar/" + Hash.sha256("nar " + i).toNix32() + ".nar.zst"));
            }
            segments.add(EventJson.write(new ScannedSegment(segment)));
        }
        names = null;
        long before = used();
        Map<StorePath, ScannedPath> scanned = new LinkedHashMap<>();
        Map<String, String> pool = new HashMap<>();
        for (byte[] s : segments) {
            GarbageCollector.index(EventJson.read(s, ScannedSegment.class), pool, scanned);
        }
        long reading = used();
        pool = null;
        long held = used();
        if (scanned.size() != n) {
            throw new AssertionError(scanned.size() + " paths indexed, not " + n);
        }
        return new long[] {(held - before) / n, (reading - before) / n};
    }

    private static long used() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return r.totalMemory() - r.freeMemory();
    }
}
