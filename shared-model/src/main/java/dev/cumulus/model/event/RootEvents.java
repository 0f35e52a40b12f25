package dev.cumulus.model.event;

import java.util.List;

/** The events of GC roots, garbage collection and store verification. Paths are full store paths. */
public final class RootEvents {
    private RootEvents() {}

    /**
     * Makes {@code paths} temporary roots of the connection {@code session} and renews its lease for
     * {@code leaseSeconds}; with no paths it only renews the lease.
     */
    public record AddTempRoots(String session, List<String> paths, long leaseSeconds) {
        /**
         * How long a connection's temporary roots hold without renewal (also for {@code leaseSeconds}
         * 0). The proxy renews open connections' leases every third of it, so a dead proxy's roots
         * stop counting within this.
         */
        public static final long DEFAULT_LEASE_SECONDS = 600;

        public AddTempRoots {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /** The connection ended: its temporary roots and lease go. */
    public record ReleaseTempRoots(String session) {}

    /** A named root (as {@code nix-store --add-root}, kept in the store's table): {@code name} keeps {@code path} alive. */
    public record AddRoot(String name, String path) {}

    public record RemoveRoot(String name) {}

    /** Asks for every root: named ones, and temporary ones whose connection's lease holds. */
    public record ListRoots() {}

    /** One root: its name (for a temporary root {@code {temp:<session>}}) and the path it keeps alive. */
    public record Root(String name, String path, boolean temporary) {}

    public record Roots(List<Root> roots) {
        public Roots {
            roots = roots == null ? List.of() : List.copyOf(roots);
        }
    }

    /**
     * CollectGarbage. {@code action} is {@code return-live}, {@code return-dead}, {@code delete-dead}
     * or {@code delete-specific}. With {@code paths} (always for {@code delete-specific}) only those
     * are deleted, each with the paths that refer to it, which must be among {@code paths} unless
     * {@code deleteReferrers}; {@code delete-specific} refuses a path that cannot go, {@code delete-dead}
     * passes over it. Without paths, the whole store. Deleting stops once {@code maxFreed} bytes are
     * freed (negative: no limit). {@code graceSeconds} (negative: the store's default) is how old an
     * unreferenced NAR or narinfo object must be before it is removed.
     */
    public record CollectGarbage(String action, List<String> paths, boolean deleteReferrers, long maxFreed,
                                 long graceSeconds) {
        public static final String RETURN_LIVE = "return-live";
        public static final String RETURN_DEAD = "return-dead";
        public static final String DELETE_DEAD = "delete-dead";
        public static final String DELETE_SPECIFIC = "delete-specific";

        public CollectGarbage {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }

        /** The whole store. */
        public static CollectGarbage wholeStore(String action, long maxFreed, long graceSeconds) {
            return new CollectGarbage(action, List.of(), false, maxFreed, graceSeconds);
        }

        /** Whether only {@code paths} are collected. */
        public boolean specific() {
            return action.equals(DELETE_SPECIFIC) || !paths.isEmpty();
        }
    }

    /**
     * What a collection did: the paths listed or deleted, the NAR bytes freed, and how many
     * unreferenced bucket objects it removed.
     */
    public record GarbageCollected(List<String> paths, long bytesFreed, long removedObjects) {
        public GarbageCollected {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /**
     * One step of a collection, a message on the collection-steps queue: {@code stage} is
     * {@value #SCAN} (scan segment {@code index}), {@value #PLAN}, {@value #MARK} (batch {@code index}),
     * {@value #RECHECK}, {@value #DELETE} (batch {@code index}, of wave {@code wave}), {@value #FORGET}
     * (what batch {@code index}'s deleted paths left), {@value #SWEEP} (part {@code index} of the
     * bucket) or {@value #FINISH} (the record's end); {@code plan} names the
     * plan the steps after {@value #PLAN} carry out.
     */
    public record CollectionStep(String gc, String stage, int wave, int index, String plan) {
        public static final String SCAN = "scan";
        public static final String PLAN = "plan";
        public static final String MARK = "mark";
        public static final String RECHECK = "recheck";
        public static final String DELETE = "delete";
        public static final String FORGET = "forget";
        public static final String SWEEP = "sweep";
        public static final String FINISH = "finish";

        /** The stage as the collection's record names it: a delete wave has its number. */
        public String recorded() {
            return stage.equals(DELETE) ? DELETE + "-" + wave : stage;
        }
    }

    /** Asks for collection {@code id}'s state and, once it is done, page {@code page} (from 0) of its paths. */
    public record QueryCollection(String id, int page) {}

    /**
     * A collection's state and, once it is done, one page of the paths it deleted or listed;
     * {@code nextPage} is the page to ask for next, or -1 after the last.
     */
    public record CollectionReport(CollectionState state, List<String> paths, int nextPage) {
        public CollectionReport {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /** Asks for the store's {@link Deletions}. */
    public record QueryDeletions() {}

    /**
     * Whether what a cache of path infos holds may still be true: {@code generation} moves whenever a
     * collection starts or ends deleting, and {@code deleting} says one is under way. An answer read
     * under one generation holds while the generation stays and no collection deletes.
     */
    public record Deletions(long generation, boolean deleting) {
        /**
         * A proxy serves cached answers only within this long of having read the deletions and found
         * them unchanged (the time counts from before the read was sent).
         */
        public static final long CONFIRM_MILLIS = 250;
        /**
         * A collection waits this long after announcing that it deletes before it deletes anything:
         * longer than {@link #CONFIRM_MILLIS}, so every proxy has stopped serving from its cache.
         */
        public static final long ANNOUNCE_MILLIS = 400;
        /**
         * How long a deleting collection's lease holds unless it renews it (it does with every batch):
         * a collection that died holds caches off, and its marks from other collections, this long at most.
         */
        public static final long LEASE_SECONDS = 120;
    }

    /** Asks for the collections the store remembers, newest first (a week of them). */
    public record QueryCollections() {}

    /** The collections the store remembers, newest first. */
    public record Collections(List<CollectionState> collections) {
        public Collections {
            collections = collections == null ? List.of() : List.copyOf(collections);
        }
    }

    /**
     * One collection as the store records it while it runs and after: its phase ({@value #SCANNING},
     * {@value #DELETING} (marking and deleting, under a lease until {@code leaseUntil}),
     * {@value #SWEEPING} (its deletions are over: what they left behind, and the bucket), {@value #DONE}, {@value #FAILED} with {@code error}, or
     * {@value #ABANDONED}: its lease ran out and another collection took its marks over), and its
     * counts so far. Times are epoch seconds.
     */
    public record CollectionState(String id, String phase, long startedAt, long updatedAt, long leaseUntil,
                                  long scanned, long dead, long marked, long deleted, long bytesFreed,
                                  long removedObjects, String error) {
        public static final String SCANNING = "scanning";
        public static final String DELETING = "deleting";
        public static final String SWEEPING = "sweeping";
        public static final String DONE = "done";
        public static final String FAILED = "failed";
        public static final String ABANDONED = "abandoned";

        /** Whether it may still change the store. */
        public boolean running() {
            return phase.equals(SCANNING) || phase.equals(DELETING) || phase.equals(SWEEPING);
        }
    }

    /**
     * VerifyStore: with {@code checkContents}, every NAR is read and hashed, and every narinfo read,
     * not only looked for; with {@code repair}, what is damaged is restored where it can be. With
     * {@code paths}, only those (BuildPaths in repair mode); otherwise the whole store, or with
     * {@code segments} above 1 only the paths of scan segment {@code segment} (from 0) of that many:
     * a verification spread over invocations ({@link StoreVerification}).
     */
    public record VerifyStore(boolean checkContents, boolean repair, List<String> paths, int segment, int segments) {
        public VerifyStore {
            paths = paths == null ? List.of() : List.copyOf(paths);
            if (segments > 1 && (segment < 0 || segment >= segments)) {
                throw new IllegalArgumentException("segment " + segment + " of " + segments + " does not exist");
            }
        }

        public VerifyStore(boolean checkContents, boolean repair, List<String> paths) {
            this(checkContents, repair, paths, 0, 0);
        }

        public VerifyStore(boolean checkContents, boolean repair) {
            this(checkContents, repair, List.of());
        }

        /** Whether only one segment of the store is asked for. */
        public boolean segmented() {
            return segments > 1;
        }
    }

    /**
     * Every violation of the store's invariants found and not repaired, one sentence each (empty when
     * the store is sound), and each one repaired.
     */
    public record StoreVerified(long pathsChecked, List<String> violations, List<String> repaired) {
        public StoreVerified {
            violations = violations == null ? List.of() : List.copyOf(violations);
            repaired = repaired == null ? List.of() : List.copyOf(repaired);
        }
    }
}
