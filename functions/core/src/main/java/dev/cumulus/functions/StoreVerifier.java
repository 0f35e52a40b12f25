package dev.cumulus.functions;

import dev.cumulus.functions.tables.PathInfoTable.Scanned;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Checks the store's invariants for every valid path: its NAR file is in the bucket with the
 * recorded size (and, when asked, decompresses to a NAR of the recorded hash and size), and every
 * path it references is valid. Repair is not possible (there is no other copy to fetch), so the
 * violations are reported, one sentence each.
 */
public final class StoreVerifier {
    private static final int IN_FLIGHT = 16;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;

    public StoreVerifier(StoreTables tables, Bucket bucket, StoreDir storeDir) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
    }

    public StoreVerified verify(boolean checkContents) {
        List<PathInfo> infos = new ArrayList<>();
        List<Optional<NarObject>> nars = new ArrayList<>();
        tables.paths().scanAll((Scanned s) -> {
            infos.add(s.stored().info());
            nars.add(s.stored().nar());
        });
        Set<StorePath> valid = new HashSet<>();
        infos.forEach(i -> valid.add(i.path()));
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
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
                slots.acquireUninterruptibly();
                checks.submit(() -> {
                    try {
                        checkNar(info, nar, checkContents).ifPresent(violations::add);
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        List<String> sorted = new ArrayList<>(violations);
        Collections.sort(sorted);
        return new StoreVerified(infos.size(), sorted);
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
