package dev.cumulus.functions;

import dev.cumulus.functions.tables.RootsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.AddTempRoots;
import dev.cumulus.model.event.RootEvents.Root;
import dev.cumulus.model.event.RootEvents.Roots;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Named roots and connections' temporary roots. Each write follows the collector's protocol (see
 * {@link dev.cumulus.functions.tables.PathInfoTable}): the root is written first, then its path is
 * revived, so a collection running meanwhile either sees the root or fails to delete the path.
 */
public final class GcRoots {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9+._/:@=-]{1,200}");

    private final StoreTables tables;
    private final StoreDir storeDir;
    private final Clock clock;

    public GcRoots(StoreTables tables, StoreDir storeDir, Clock clock) {
        this.tables = tables;
        this.storeDir = storeDir;
        this.clock = clock;
    }

    public Roots addTempRoots(AddTempRoots a) {
        String session = session(a.session());
        List<StorePath> paths = a.paths().stream().map(storeDir::parse).toList();
        long lease = a.leaseSeconds() > 0 ? a.leaseSeconds() : AddTempRoots.DEFAULT_LEASE_SECONDS;
        tables.roots().addTempRoots(session, paths, clock.instant().getEpochSecond() + lease);
        // An invalid path may be a temporary root (Nix allows it: the path is about to be added).
        tables.paths().revive(paths);
        return new Roots(paths.stream().map(p -> new Root(temporaryName(session), storeDir.print(p), true)).toList());
    }

    public Roots releaseTempRoots(String session) {
        tables.roots().release(session(session));
        return new Roots(List.of());
    }

    public Roots addRoot(AddRoot a) {
        if (a.name() == null || !NAME.matcher(a.name()).matches()) {
            throw new StoreException("a root's name is 1 to 200 of A-Z a-z 0-9 + . _ / : @ = -, not '" + a.name() + "'");
        }
        if (a.path() == null) {
            throw new StoreException("'path' is missing");
        }
        StorePath path = storeDir.parse(a.path());
        if (tables.paths().get(path).isEmpty()) {
            throw new StoreException("cannot add root '" + a.name() + "': path '" + a.path() + "' is not valid");
        }
        tables.roots().putNamed(a.name(), path);
        if (tables.paths().revive(List.of(path)).isEmpty()) {
            tables.roots().removeNamed(a.name());
            throw new StoreException("cannot add root '" + a.name() + "': path '" + a.path()
                    + "' was garbage-collected meanwhile");
        }
        return new Roots(List.of(new Root(a.name(), a.path(), false)));
    }

    public Roots removeRoot(String name) {
        return tables.roots().removeNamed(name)
                .map(p -> new Roots(List.of(new Root(name, storeDir.print(p), false))))
                .orElseThrow(() -> new StoreException("there is no root named '" + name + "'"));
    }

    /** Named roots, then the temporary roots of connections whose lease holds. */
    public Roots list() {
        RootsTable.Snapshot snapshot = tables.roots().scan();
        List<Root> out = new ArrayList<>();
        snapshot.named().forEach((name, path) -> out.add(new Root(name, storeDir.print(path), false)));
        snapshot.liveTemporary(clock.instant().getEpochSecond()).forEach((session, paths) ->
                paths.forEach(p -> out.add(new Root(temporaryName(session), storeDir.print(p), true))));
        return new Roots(out);
    }

    /** How Nix's FindRoots names a root that is no link: {@code {temp:<id>}}. */
    static String temporaryName(String session) {
        return "{temp:" + session + "}";
    }

    private static String session(String session) {
        if (session == null || session.isBlank() || session.length() > 200) {
            throw new StoreException("'session' is missing");
        }
        return session;
    }
}
