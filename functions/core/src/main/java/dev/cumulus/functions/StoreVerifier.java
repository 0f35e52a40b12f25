package dev.cumulus.functions;

import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.logging.Logger;

/**
 * Checks the store's invariants for every valid path: its NAR file is in the bucket with the
 * recorded size (and, when asked, decompresses to a NAR of the recorded hash and size, and the
 * narinfo the bucket serves describes it), and every path it references is valid. A repair fetches
 * a damaged NAR again from an upstream substituter (the store has no other copy) and writes a wrong
 * or missing narinfo again from the store's own record; what cannot be repaired is reported. A
 * path is never made invalid here: its referrers would be left dangling.
 */
public final class StoreVerifier {
    private static final Logger LOG = Logger.getLogger(StoreVerifier.class.getName());
    private static final int IN_FLIGHT = 16;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final Substitution substitution;

    public StoreVerifier(StoreTables tables, Bucket bucket, StoreDir storeDir, Substitution substitution) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
        this.substitution = substitution;
    }

    /** The whole store, or only {@code paths} when there are some (those of them that are valid). */
    public StoreVerified verify(boolean checkContents, boolean repair, List<StorePath> paths) {
        return verify(checkContents, repair, paths, 0, 0);
    }

    /**
     * As {@link #verify(boolean, boolean, List)}; without {@code paths} and with {@code segments}
     * above 1, only the valid paths of scan segment {@code segment} of that many (one invocation's
     * share of a verification spread over several).
     */
    public StoreVerified verify(boolean checkContents, boolean repair, List<StorePath> paths, int segment, int segments) {
        List<PathInfo> infos = new ArrayList<>();
        List<Optional<NarObject>> nars = new ArrayList<>();
        java.util.function.Consumer<StoredPath> checked = s -> {
            infos.add(s.info());
            nars.add(s.nar());
        };
        boolean wholeStore = paths.isEmpty() && segments <= 1;
        if (wholeStore) {
            tables.paths().scanAll(s -> checked.accept(s.stored()));
        } else if (paths.isEmpty()) {
            tables.paths().scanSegment(segment, segments, s -> checked.accept(s.stored()));
        } else {
            tables.paths().getAll(paths.stream().map(StorePath::hashPart).distinct().toList()).values().forEach(checked);
        }
        Set<StorePath> valid = new HashSet<>();
        infos.forEach(i -> valid.add(i.path()));
        if (!wholeStore) {
            // References outside the paths checked (another segment, or not asked for): looked up.
            valid.addAll(tables.paths().valid(infos.stream().flatMap(i -> i.references().stream())
                    .filter(r -> !valid.contains(r)).distinct().toList()));
        }
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        List<String> repaired = Collections.synchronizedList(new ArrayList<>());
        // The whole store's NAR files are checked against one listing of the bucket (a request per
        // 1,000 objects) rather than a HEAD each; only those the listing lacks or sizes otherwise are
        // looked at one by one, which also tells a damaged NAR from one collected since the listing.
        // A segment's invocation looks one by one: a listing of the whole bucket for each would cost more.
        Map<String, Long> listed = wholeStore && !checkContents && !repair ? listNars() : null;
        Semaphore slots = new Semaphore(IN_FLIGHT);
        try (ExecutorService checks = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < infos.size(); i++) {
                PathInfo info = infos.get(i);
                Optional<NarObject> nar = nars.get(i);
                for (StorePath r : info.references()) {
                    if (!valid.contains(r)) {
                        violations.add("'" + storeDir.print(info.path()) + "' refers to '" + storeDir.print(r)
                                + "', which is not valid");
                    }
                }
                if (listed != null && nar.isPresent() && sizeAgrees(nar.get(), listed.get(nar.get().key()))) {
                    continue;
                }
                slots.acquireUninterruptibly();
                checks.submit(() -> {
                    try {
                        check(info, nar, checkContents, repair, violations, repaired);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        List<String> sorted = new ArrayList<>(violations);
        Collections.sort(sorted);
        List<String> sortedRepairs = new ArrayList<>(repaired);
        Collections.sort(sortedRepairs);
        return new StoreVerified(infos.size(), sorted, sortedRepairs);
    }

    private static boolean sizeAgrees(NarObject nar, Long listedSize) {
        return listedSize != null && (nar.fileSize() <= 0 || listedSize == nar.fileSize());
    }

    /** Every NAR file in the bucket with its size. */
    private Map<String, Long> listNars() {
        Map<String, Long> sizes = new HashMap<>();
        try {
            bucket.list(BinaryCacheLayout.NAR_PREFIX, o -> sizes.put(o.key(), o.size()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("listing the store bucket's NAR files: " + e.getMessage(), e);
        }
        return sizes;
    }

    private void check(PathInfo info, Optional<NarObject> nar, boolean checkContents, boolean repair,
                       List<String> violations, List<String> repaired) {
        Optional<String> damage = checkNar(info, nar, checkContents);
        if (damage.isPresent()) {
            if (!repair) {
                violations.add(damage.get());
                return;
            }
            try {
                NarObject fetched = substitution.refetch(info);
                if (!tables.paths().replaceNar(info.path(), fetched)) {
                    return; // collected meanwhile: nothing left to repair
                }
                LOG.info(() -> "repaired the NAR of '" + storeDir.print(info.path()) + "' into " + fetched.key());
                writeNarInfo(info, fetched);
                repaired.add(damage.get() + "; repaired: its NAR was fetched again from upstream");
            } catch (IOException | RuntimeException e) {
                violations.add(damage.get() + "; cannot repair: " + e.getMessage());
            }
            return;
        }
        if (!checkContents && !repair) {
            return;
        }
        NarObject object = nar.orElseThrow(); // checkNar reports a path that records none
        Optional<String> wrongNarInfo = checkNarInfo(info, object);
        if (wrongNarInfo.isEmpty()) {
            return;
        }
        if (!repair) {
            violations.add(wrongNarInfo.get());
            return;
        }
        try {
            writeNarInfo(info, object);
            repaired.add(wrongNarInfo.get() + "; repaired: written again from the store's record");
        } catch (IOException | RuntimeException e) {
            violations.add(wrongNarInfo.get() + "; cannot repair: " + e.getMessage());
        }
    }

    /** Whether the narinfo the bucket serves describes the path as the store records it. */
    private Optional<String> checkNarInfo(PathInfo info, NarObject nar) {
        String path = "'" + storeDir.print(info.path()) + "'";
        String key = BinaryCacheLayout.narInfoKey(info.path());
        try {
            Optional<InputStream> opened = bucket.open(key);
            if (opened.isEmpty()) {
                return Optional.of(path + ": its narinfo " + key + " is missing from the bucket");
            }
            String text;
            try (InputStream in = opened.get()) {
                text = new String(in.readNBytes(BinaryCacheLayout.MAX_NARINFO_SIZE), StandardCharsets.UTF_8);
            }
            NarInfo served = NarInfo.parse(storeDir, text);
            PathInfo s = served.info();
            if (!s.path().equals(info.path()) || !s.narHash().equals(info.narHash()) || s.narSize() != info.narSize()
                    || !s.references().equals(info.references()) || !served.url().equals(nar.key())) {
                return Optional.of(path + ": its narinfo " + key + " does not describe the path the store holds");
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of(path + ": its narinfo " + key + " is not valid: " + e.getMessage());
        }
    }

    private void writeNarInfo(PathInfo info, NarObject nar) throws IOException {
        BinaryCacheLayout.putNarInfo(bucket, storeDir, nar.narInfo(info));
    }

    private Optional<String> checkNar(PathInfo info, Optional<NarObject> nar, boolean checkContents) {
        String path = "'" + storeDir.print(info.path()) + "'";
        if (nar.isEmpty()) {
            return Optional.of(path + " records no NAR file");
        }
        NarObject object = nar.get();
        try {
            OptionalLong size = bucket.size(object.key());
            if (size.isEmpty()) {
                return Optional.of(path + ": its NAR file " + object.key() + " is missing from the bucket");
            }
            if (object.fileSize() > 0 && size.getAsLong() != object.fileSize()) {
                return Optional.of(path + ": its NAR file " + object.key() + " has " + size.getAsLong()
                        + " bytes, not " + object.fileSize());
            }
            if (!checkContents) {
                return Optional.empty();
            }
            Optional<InputStream> opened = bucket.open(object.key());
            if (opened.isEmpty()) {
                return Optional.of(path + ": its NAR file " + object.key() + " is missing from the bucket");
            }
            HashSink sink = new HashSink(info.narHash().algorithm());
            try (InputStream in = NarCompression.parse(object.compression()).decompress(opened.get())) {
                in.transferTo(sink);
            }
            Hash actual = sink.finish();
            if (!actual.equals(info.narHash()) || sink.size() != info.narSize()) {
                return Optional.of(path + " was modified! expected hash '" + info.narHash() + "', got '" + actual
                        + "' (" + sink.size() + " bytes, recorded " + info.narSize() + ")");
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of(path + ": reading its NAR file " + object.key() + " failed: " + e.getMessage());
        }
    }
}
