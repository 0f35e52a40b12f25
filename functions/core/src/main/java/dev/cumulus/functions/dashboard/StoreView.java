package dev.cumulus.functions.dashboard;

import dev.cumulus.functions.tables.BuildsTable;
import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.StoreStatsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

/**
 * What the dashboard reads, each a bounded number of queries and gets: no page load scans a table,
 * so pages stay fast on a store of millions of paths (a closure is read path by path, as far as it
 * goes, up to {@value #CLOSURE_LIMIT} paths).
 */
final class StoreView {
    static final int CLOSURE_LIMIT = 20_000;
    /** How many days back the recent uploads look for enough paths. */
    private static final int RECENT_DAYS = 7;

    private final StoreTables tables;
    private final Bucket bucket;
    private final StoreDir storeDir;
    private final Clock clock;

    StoreView(StoreTables tables, Bucket bucket, StoreDir storeDir, Clock clock) {
        this.tables = tables;
        this.bucket = bucket;
        this.storeDir = storeDir;
        this.clock = clock;
    }

    StoreDir storeDir() {
        return storeDir;
    }

    StoreStatsTable.Totals totals() {
        return tables.stats().totals();
    }

    BuildsTable.Page builds(String state, Optional<String> after, int limit) {
        return tables.builds().inState(state, after, limit);
    }

    Optional<BuildState> build(String id) {
        return tables.builds().get(id);
    }

    List<BuildState> buildsOf(String drvPath, int limit) {
        return tables.builds().ofDerivation(drvPath, limit);
    }

    /** A build's log and where to read on from: the bucket's whole log once it ended, else the chunks so far. */
    record Log(List<String> lines, long next) {}

    Log log(BuildState build) {
        Optional<StorePath> drv;
        try {
            drv = Optional.of(storeDir.parse(build.drvPath()));
        } catch (IllegalArgumentException notAStorePath) {
            drv = Optional.empty(); // what the table says is all there is
        }
        if (build.finished() && drv.isPresent()) {
            try {
                Optional<InputStream> stored = bucket.open(BinaryCacheLayout.logKey(drv.get()));
                if (stored.isPresent()) {
                    try (InputStream in = stored.get()) {
                        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                        return new Log(text.isEmpty() ? List.of() : List.of(text.split("\n", -1)), -1);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading the log of build " + build.id() + ": " + e.getMessage(), e);
            }
        }
        return logSince(build.id(), 0);
    }

    /** The chunks a build logged from chunk {@code from} on (a running build's live tail). */
    Log logSince(String id, long from) {
        var lines = tables.buildLogs().read(id, from);
        return new Log(lines.lines(), lines.next());
    }

    /** Paths registered most recently, newest first. */
    List<StoredPath> recentPaths(int limit) {
        List<StoredPath> out = new ArrayList<>();
        long now = clock.instant().getEpochSecond();
        for (int day = 0; day < RECENT_DAYS && out.size() < limit; day++) {
            String registered = PathInfoTable.registeredDay(now - Duration.ofDays(day).toSeconds());
            out.addAll(tables.paths().registeredOn(registered, limit - out.size()));
        }
        return out;
    }

    Optional<StoredPath> path(String hashPart) {
        return tables.paths().get(hashPart);
    }

    List<StorePath> referrers(StorePath path) {
        return tables.referrers().referrers(path);
    }

    /** How many paths a closure holds and their NAR bytes; {@code complete} is false past the limit. */
    record Closure(long paths, long narBytes, boolean complete) {}

    Closure closure(StoredPath root) {
        Set<StorePath> seen = new HashSet<>(List.of(root.info().path()));
        long bytes = root.info().narSize();
        List<StorePath> frontier = new ArrayList<>(root.info().references());
        frontier.removeIf(p -> !seen.add(p));
        while (!frontier.isEmpty()) {
            if (seen.size() > CLOSURE_LIMIT) {
                return new Closure(seen.size(), bytes, false);
            }
            Map<String, StoredPath> found = tables.paths().getAll(frontier.stream().map(StorePath::hashPart).toList());
            List<StorePath> next = new ArrayList<>();
            for (StoredPath s : found.values()) {
                bytes += s.info().narSize();
                for (StorePath r : s.info().references()) {
                    if (seen.add(r)) {
                        next.add(r);
                    }
                }
            }
            frontier = next;
        }
        return new Closure(seen.size(), bytes, true);
    }

    /** A derivation's outputs: their paths where known, and the realisation of each that has one. */
    record Output(String name, Optional<StorePath> path, Optional<Realisation> realisation) {}

    List<Output> outputs(StorePath drv) {
        SortedMap<String, Optional<StorePath>> outputs = tables.derivationOutputs().outputs(drv);
        List<Output> out = new ArrayList<>();
        outputs.forEach((name, path) -> out.add(new Output(name, path,
                tables.realisations().get(new DrvOutput.ByPath(drv, name).render(storeDir)))));
        return out;
    }

    Map<String, StorePath> namedRoots() {
        return new LinkedHashMap<>(tables.roots().named());
    }

    List<CollectionState> collections() {
        return tables.roots().collections();
    }
}
