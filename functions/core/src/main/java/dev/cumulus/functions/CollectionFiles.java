package dev.cumulus.functions;

import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a collection's steps hand each other, as JSON objects in the store bucket under
 * {@code gc/<id>/}: the request, each scan segment's paths, the plan (its batches, the referrers read
 * after marking each, the roots read again) and the result of each batch. No step keeps anything in
 * memory for a later one, so any step can run in any invocation, again if it must. A later
 * collection's sweep removes them once they are a day old.
 */
final class CollectionFiles {
    /** Where every collection's files are, under the bucket's root. */
    static final String PREFIX = "gc/";

    private final Bucket bucket;
    private final String gc;

    CollectionFiles(Bucket bucket, String gc) {
        this.bucket = bucket;
        this.gc = gc;
    }

    /** What was asked, and how many scan segments read the paths table. */
    record Request(CollectGarbage request, int segments) {}

    /** A path as scan segment read it: base names, and the mark it carried (null: none). */
    record ScannedPath(String path, List<String> references, String deriver, long narSize, long registrationTime,
                       String mark, String narKey) {}

    record ScannedSegment(List<ScannedPath> paths) {}

    /** A path the plan dooms, at its level: every dead path that refers to it is at a lower level. */
    record Doomed(ScannedPath scanned, int level, List<String> realisations) {}

    record Batch(List<Doomed> paths) {}

    /**
     * The plan: its batches (referrers first), where each wave of them starts (a wave's batches go at
     * once; the next waits for them), how many result pages it leaves, the edges the store held (to
     * choose how referrers are read), for delete-specific the requested paths and Nix's error for the
     * first that cannot go (null: none), in how many parts the bucket is swept at the end (0: it is
     * not; see {@link BucketParts}), and whether the collection only lists (its results are the
     * listing's pages).
     */
    record Plan(int batches, List<Integer> waveStarts, int results, long edges, List<String> requested, String refusal,
                int sweeps, boolean listing) {
        int waves() {
            return waveStarts.size();
        }

        /** The batches of wave {@code wave}, as [first, end). */
        int waveEnd(int wave) {
            return wave + 1 < waveStarts.size() ? waveStarts.get(wave + 1) : batches;
        }
    }

    /**
     * What one part of the bucket's sweep must know of the scan: the NAR files and narinfos (by hash
     * part) in the part that paths the plan keeps use, and those only paths it dooms use (NAR key to
     * base names; base names), which go only if those paths are gone.
     */
    record SweepPart(List<String> liveNars, List<String> liveHashParts, Map<String, List<String>> doomedNars,
                     List<String> doomedPaths) {}

    /** The referrers each path of a batch that the collection marked had once it was marked, by base name. */
    record Referrers(Map<String, List<String>> byPath) {}

    /** The roots read again after the marks: base names. */
    record Rooted(List<String> paths) {}

    /** What a batch did (or, for a listing, one page of it): full store paths. */
    record Result(List<String> paths, List<String> kept) {}

    void putRequest(Request request) {
        put("request", request);
    }

    Request request() {
        return get("request", Request.class);
    }

    void putSegment(int segment, ScannedSegment paths) {
        put("scan-" + segment, paths);
    }

    /** Scan segments {@code from} to {@code to} - 1, read {@value #AT_ONCE} at a time. */
    List<ScannedSegment> segments(int from, int to) {
        return atOnce(java.util.stream.IntStream.range(from, to).boxed().toList(),
                segment -> get("scan-" + segment, ScannedSegment.class));
    }

    void putPlan(String plan, Plan content) {
        put(plan + "/plan", content);
    }

    Plan plan(String plan) {
        return get(plan + "/plan", Plan.class);
    }

    void putBatches(String plan, List<Batch> batches) {
        putNumbered(plan + "/batch-", batches);
    }

    Batch batch(String plan, int batch) {
        return get(plan + "/batch-" + batch, Batch.class);
    }

    void putReferrers(String plan, int batch, Referrers content) {
        put(plan + "/referrers-" + batch, content);
    }

    Referrers referrers(String plan, int batch) {
        return get(plan + "/referrers-" + batch, Referrers.class);
    }

    void putRooted(String plan, Rooted content) {
        put(plan + "/rooted", content);
    }

    Rooted rooted(String plan) {
        return get(plan + "/rooted", Rooted.class);
    }

    void putSweepParts(String plan, List<SweepPart> parts) {
        putNumbered(plan + "/sweep-", parts);
    }

    SweepPart sweepPart(String plan, int part) {
        return get(plan + "/sweep-" + part, SweepPart.class);
    }

    void putResult(String plan, int page, Result content) {
        put(plan + "/result-" + page, content);
    }

    Result result(String plan, int page) {
        return get(plan + "/result-" + page, Result.class);
    }

    /** The collection a key under {@link #PREFIX} belongs to, or empty for another key. */
    static Optional<String> collectionOf(String key) {
        if (!key.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int slash = key.indexOf('/', PREFIX.length());
        return slash < 0 ? Optional.empty() : Optional.of(key.substring(PREFIX.length(), slash));
    }

    /** How many objects a step reads or writes at once. */
    static final int AT_ONCE = 16;

    /** {@code each} of {@code items}, {@value #AT_ONCE} at a time, the answers in order. */
    static <T, R> List<R> atOnce(List<T> items, java.util.function.Function<T, R> each) {
        return dev.cumulus.functions.tables.ChunkedWork.inChunks(items, 1, AT_ONCE, "a collection's reads and writes of the bucket",
                one -> List.of(each.apply(one.getFirst())));
    }

    /** {@code contents} as {@code prefix}0, {@code prefix}1, …, written {@value #AT_ONCE} at a time. */
    private void putNumbered(String prefix, List<?> contents) {
        atOnce(java.util.stream.IntStream.range(0, contents.size()).boxed().toList(), i -> {
            put(prefix + i, contents.get(i));
            return i;
        });
    }

    private void put(String name, Object content) {
        try {
            bucket.put(PREFIX + gc + "/" + name, EventJson.write(content), "application/json");
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + name + " of collection " + gc + ": " + e.getMessage(), e);
        }
    }

    private <T> T get(String name, Class<T> type) {
        String key = PREFIX + gc + "/" + name;
        try {
            Optional<InputStream> opened = bucket.open(key);
            if (opened.isEmpty()) {
                throw new StoreException("collection " + gc + " lost its file " + key);
            }
            try (InputStream in = opened.get()) {
                return EventJson.read(in.readAllBytes(), type);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + key + ": " + e.getMessage(), e);
        }
    }
}
