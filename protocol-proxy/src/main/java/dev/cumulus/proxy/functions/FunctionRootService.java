package dev.cumulus.proxy.functions;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.RootEvents;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreVerification;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.GcAction;
import dev.cumulus.model.wire.GcOptions;
import dev.cumulus.model.wire.GcResult;
import dev.cumulus.proxy.backend.RootService;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Roots, collection and verification answered by the store functions. Temporary roots belong to
 * the connection ({@link Session#connectionId()}); paths a connection adds become its temporary
 * roots in their registration. While a connection is open its lease is renewed every third of
 * {@code leaseSeconds}; when it closes its roots are released. A proxy that dies stops renewing, so
 * its connections' roots stop counting within a lease.
 */
public final class FunctionRootService implements RootService, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FunctionRootService.class.getName());

    private final StoreFunctionClient functions;
    private final StoreDir storeDir;
    private final long leaseSeconds;
    private final Map<String, Long> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "temp-root-leases");
        t.setDaemon(true);
        return t;
    });

    public FunctionRootService(StoreFunctionClient functions, StoreDir storeDir) {
        this(functions, storeDir, RootEvents.AddTempRoots.DEFAULT_LEASE_SECONDS);
    }

    public FunctionRootService(StoreFunctionClient functions, StoreDir storeDir, long leaseSeconds) {
        this.functions = functions;
        this.storeDir = storeDir;
        this.leaseSeconds = leaseSeconds;
        long period = Math.max(1, leaseSeconds / 3);
        renewals.scheduleAtFixedRate(this::renewLeases, period, period, TimeUnit.SECONDS);
    }

    /** Renews the lease of every connection open for more than a third of a lease (younger ones hold theirs). */
    private void renewLeases() {
        long now = System.nanoTime();
        for (Map.Entry<String, Long> e : open.entrySet()) {
            if (now - e.getValue() < TimeUnit.SECONDS.toNanos(leaseSeconds / 3)) {
                continue;
            }
            try {
                functions.call(StoreFunction.ADD_TEMP_ROOTS, new RootEvents.AddTempRoots(e.getKey(), List.of(), leaseSeconds));
            } catch (RuntimeException failed) {
                LOG.log(Level.WARNING, "renewing the temporary roots' lease of " + e.getKey() + " failed", failed);
            }
        }
    }

    @Override
    public void connectionOpened(Session session) {
        open.put(session.connectionId(), System.nanoTime());
    }

    @Override
    public void connectionClosed(Session session) {
        if (open.remove(session.connectionId()) != null) {
            functions.call(StoreFunction.RELEASE_TEMP_ROOTS, new RootEvents.ReleaseTempRoots(session.connectionId()));
        }
    }

    @Override
    public void addTempRoot(Session session, StorePath path) {
        call(() -> functions.call(StoreFunction.ADD_TEMP_ROOTS,
                new RootEvents.AddTempRoots(session.connectionId(), List.of(storeDir.print(path)), leaseSeconds)));
    }

    /**
     * Nix's indirect root is a symlink on the client's machine that points into the store. The store
     * can follow it only where it can read it (a client on the proxy's machine, over its socket); it
     * becomes a named root {@code indirect:<link>} for the path the link points at now.
     */
    @Override
    public void addIndirectRoot(Session session, String link) {
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of(link));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new StoreException("cannot follow the indirect root '" + link + "': it is not a symlink on the store's"
                    + " machine (add a named root with 'cumulus roots add NAME PATH' instead)");
        }
        StorePath path;
        try {
            path = storeDir.parse(target.isAbsolute() ? target.toString() : Path.of(link).resolveSibling(target).normalize().toString());
        } catch (IllegalArgumentException e) {
            throw new StoreException("the indirect root '" + link + "' points at '" + target + "', which is not a store path");
        }
        addRoot("indirect:" + link, path);
    }

    @Override
    public String addPermRoot(Session session, StorePath path, String name) {
        addRoot(name, path);
        return name;
    }

    private void addRoot(String name, StorePath path) {
        call(() -> functions.call(StoreFunction.ADD_ROOT, new RootEvents.AddRoot(name, storeDir.print(path))));
    }

    @Override
    public List<Map.Entry<String, StorePath>> findRoots(Session session) {
        return call(() -> functions.call(StoreFunction.LIST_ROOTS, new RootEvents.ListRoots())).roots().stream()
                .map(r -> Map.entry(r.name(), storeDir.parse(r.path()))).toList();
    }

    @Override
    public GcResult collectGarbage(Session session, GcOptions options) {
        String action = switch (options.action()) {
            case RETURN_LIVE -> RootEvents.CollectGarbage.RETURN_LIVE;
            case RETURN_DEAD -> RootEvents.CollectGarbage.RETURN_DEAD;
            case DELETE_DEAD -> RootEvents.CollectGarbage.DELETE_DEAD;
            case DELETE_SPECIFIC -> RootEvents.CollectGarbage.DELETE_SPECIFIC;
        };
        if (!options.wholeStore() && options.paths().isEmpty() && options.action() != GcAction.DELETE_SPECIFIC) {
            return new GcResult(List.of(), 0); // collect among no paths
        }
        // maxFreed is unsigned on the wire; anything past Long.MAX_VALUE is no limit.
        long maxFreed = options.maxFreed() < 0 ? -1 : options.maxFreed();
        RootEvents.GarbageCollected done = call(() -> GarbageCollection.run(functions,
                new RootEvents.CollectGarbage(action, options.paths().stream().map(storeDir::print).toList(),
                        options.deleteReferrers(), maxFreed, -1), false, state -> { }));
        return new GcResult(done.paths(), options.action() == GcAction.RETURN_LIVE
                || options.action() == GcAction.RETURN_DEAD ? 0 : done.bytesFreed());
    }

    @Override
    public boolean verifyStore(Session session, boolean checkContents, boolean repair) {
        RootEvents.StoreVerified verified = call(() -> StoreVerification.run(functions, checkContents, repair,
                StoreVerification.DEFAULT_SEGMENTS));
        for (String repaired : verified.repaired()) {
            session.logger().log(0, repaired);
        }
        for (String violation : verified.violations()) {
            session.logger().log(0, violation);
        }
        return !verified.violations().isEmpty();
    }

    @Override
    public Map<StorePath, String> repair(Session session, Collection<StorePath> paths) {
        RootEvents.StoreVerified verified = call(() -> functions.call(StoreFunction.VERIFY_STORE,
                new RootEvents.VerifyStore(true, true, paths.stream().map(storeDir::print).toList())));
        verified.repaired().forEach(r -> session.logger().log(0, r));
        Map<StorePath, String> failed = new TreeMap<>();
        for (String violation : verified.violations()) {
            // Each violation names its path first: "'/nix/store/…' …".
            paths.stream().filter(p -> violation.startsWith("'" + storeDir.print(p) + "'")).findFirst()
                    .ifPresent(p -> failed.merge(p, violation, (a, b) -> a + "; " + b));
        }
        return failed;
    }

    /** NARs are stored once per content already (named by their hash), so there is nothing to optimise. */
    @Override
    public void optimiseStore(Session session) {
        session.logger().log(3, "the store's NAR files are already deduplicated by content");
    }

    @Override
    public void close() {
        renewals.shutdownNow();
    }
}
