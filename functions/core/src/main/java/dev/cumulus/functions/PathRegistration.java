package dev.cumulus.functions;

import dev.cumulus.functions.tables.BatchBackoff;
import dev.cumulus.functions.tables.DerivationOutputsTable;
import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.RootsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Makes a batch of paths valid, references first.
 *
 * <p>The order of writes is what keeps readers safe: referrer edges and derivation outputs are
 * written before the paths or in their transaction (readers ignore them until their path is
 * valid); DynamoDB transactions put the path items on the condition that none exists, each with a
 * check that the references outside it are valid and not marked by a garbage collection. A path
 * item is the commit point of its path. A batch (at most {@value #MAX_BATCH} paths) is usually one
 * transaction, edges included; when its paths, outside references and edges exceed DynamoDB's
 * {@value #MAX_BATCH} items, the edges go first and the paths in several transactions, references
 * first, each consistent on its own.
 *
 * <p>With {@code tempRootsOf}, a batch that commits in one transaction roots only its heads, the
 * paths nothing in it refers to (a collection keeps the rest through their references); a larger
 * one roots every path.
 *
 * <p>Before the transactions: every reference must be valid or in the batch, every input-addressed
 * path needs a signature by a trusted key unless a trusted caller waived the check (the store's own
 * signatures are added after that check, not counted by it), and a path already valid must have the
 * same NAR hash (then it is left as it is, and revived if a collection had marked it).
 */
public final class PathRegistration {
    public static final int MAX_BATCH = RegisterPaths.MAX_PATHS;

    private final StoreTables tables;
    private final FunctionsConfig config;
    private final Clock clock;
    private final Interleaving interleaving;
    private final SweepFence fence;

    public PathRegistration(StoreTables tables, Bucket bucket, FunctionsConfig config, Clock clock) {
        this(tables, bucket, config, clock, Interleaving.NONE);
    }

    PathRegistration(StoreTables tables, Bucket bucket, FunctionsConfig config, Clock clock, Interleaving interleaving) {
        this.tables = tables;
        this.config = config;
        this.clock = clock;
        this.interleaving = interleaving;
        this.fence = new SweepFence(tables, bucket, config.storeDir());
    }

    /**
     * The point where a garbage collection can act between a registration's checks and its commit;
     * tests put one there to force each interleaving the protocol guards against. None in production.
     */
    interface Interleaving {
        Interleaving NONE = new Interleaving() {};

        /** The references were found valid and revived; the paths are about to be committed. */
        default void committing(List<PathInfo> paths) {}
    }

    /**
     * One path to register: its info, its NAR's object, for a derivation its outputs, and the store's
     * own signatures to add once the path passed its checks.
     */
    public record Candidate(PathInfo info, Optional<NarObject> nar, Optional<DerivationOutputsTable.Outputs> outputs,
                            List<Signature> storeSignatures) {
        public Candidate(PathInfo info, Optional<NarObject> nar, Optional<DerivationOutputsTable.Outputs> outputs) {
            this(info, nar, outputs, List.of());
        }

        /** A path as a registration event carries it. */
        public static Candidate of(StoreDir storeDir, NewPath p) {
            if (p.info() == null) {
                throw new StoreException("a new path lacks its 'info'");
            }
            PathInfo info = p.info().toPathInfo(storeDir);
            Optional<DerivationOutputsTable.Outputs> outputs = Optional.empty();
            if (!p.derivationOutputs().isEmpty()) {
                java.util.TreeMap<String, Optional<StorePath>> byName = new java.util.TreeMap<>();
                p.derivationOutputs().forEach((name, out) -> byName.put(name, Optional.ofNullable(out).map(storeDir::parse)));
                outputs = Optional.of(new DerivationOutputsTable.Outputs(info.path(), byName));
            }
            return new Candidate(info, Optional.ofNullable(p.nar()), outputs,
                    p.storeSignatures().stream().map(Signature::parse).toList());
        }
    }

    /**
     * {@code refused}: those of the writes asked {@linkplain #register(boolean, boolean, List, Optional, List)
     * alongside} that were left out because their condition failed; {@code stored}: the registered
     * paths' infos as committed.
     */
    public record Result(List<StorePath> registered, List<StorePath> alreadyValid, List<TransactWriteItem> refused,
                         List<PathInfo> stored) {
        /** The NAR bytes of the paths this registration made valid. */
        public long storedNarBytes() {
            return stored.stream().mapToLong(PathInfo::narSize).sum();
        }
    }

    private static final Executor ASIDE = r -> Thread.ofVirtual().start(r);

    private static <T> T joined(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    public Result register(boolean trusted, boolean checkSigs, List<Candidate> batch) {
        return register(trusted, checkSigs, batch, Optional.empty());
    }

    /**
     * As {@link #register(boolean, boolean, List)}; with {@code tempRootsOf}, the batch's paths first
     * become temporary roots of that connection, so that no collection deletes them before it ends.
     */
    public Result register(boolean trusted, boolean checkSigs, List<Candidate> batch, Optional<String> tempRootsOf) {
        return register(trusted, checkSigs, batch, tempRootsOf, List.of());
    }

    /**
     * As {@link #register(boolean, boolean, List, Optional)}; the conditional writes {@code alongside}
     * (a build's end, its realisations) commit in the same transaction as the batch's last paths,
     * or on their own when every path was valid already: the paths are never seen valid without them,
     * nor they without the paths. One whose condition fails is left out, the rest written
     * ({@link Result#refused}); none is written when the registration fails.
     */
    public Result register(boolean trusted, boolean checkSigs, List<Candidate> batch, Optional<String> tempRootsOf,
                           List<TransactWriteItem> alongside) {
        return register(trusted, checkSigs, batch, tempRootsOf, alongside, -1);
    }

    /**
     * As {@link #register(boolean, boolean, List, Optional, List)}, the batch's NAR objects written
     * (uploaded or touched) since {@code writtenSinceMillis} (epoch millis; -1: unknown): if a sweep
     * of the bucket ran meanwhile, the registration waits for it to end and refuses paths whose NAR
     * object it removed ({@link SweepFence}).
     */
    public Result register(boolean trusted, boolean checkSigs, List<Candidate> batch, Optional<String> tempRootsOf,
                           List<TransactWriteItem> alongside, long writtenSinceMillis) {
        // The sweep's steps, read after the writes (as the fence needs), beside the reads below.
        CompletableFuture<RootsTable.Sweeps> sweeps = CompletableFuture.supplyAsync(() -> tables.roots().sweeps(), ASIDE);
        StoreDir storeDir = config.storeDir();
        Map<StorePath, Candidate> byPath = new LinkedHashMap<>();
        for (Candidate c : batch) {
            Candidate earlier = byPath.putIfAbsent(c.info().path(), c);
            if (earlier != null && !earlier.info().narHash().equals(c.info().narHash())) {
                throw new StoreException("the batch holds '" + storeDir.print(c.info().path())
                        + "' twice with different NAR hashes");
            }
            c.outputs().ifPresent(o -> {
                if (!c.info().path().isDerivation() || !o.drv().equals(c.info().path())) {
                    throw new StoreException("derivation outputs are given for '" + storeDir.print(c.info().path())
                            + "', which is not that derivation");
                }
            });
        }
        if (byPath.size() > MAX_BATCH) {
            throw new StoreException("a batch registers at most " + MAX_BATCH + " paths, not " + byPath.size()
                    + "; send larger closures as several batches, references first");
        }
        boolean verify = !trusted || checkSigs; // an untrusted caller cannot waive signature checks
        long now = clock.instant().getEpochSecond();
        // Three round trips that do not depend on each other, side by side: rooting the batch,
        // reviving the references it has outside itself (about to be referred to, so a collection
        // that marked one must keep it), and below, reading which of its paths are valid already.
        Set<StorePath> outside = new TreeSet<>();
        byPath.values().forEach(c -> c.info().references().stream().filter(r -> !byPath.containsKey(r)).forEach(outside::add));
        Set<StorePath> toRoot = byPath.size() + outside.size() <= MAX_BATCH ? heads(byPath) : byPath.keySet();
        CompletableFuture<Void> rooted = CompletableFuture.runAsync(() -> tempRootsOf.ifPresent(session ->
                tables.roots().addTempRoots(session, toRoot,
                        now + dev.cumulus.model.event.RootEvents.AddTempRoots.DEFAULT_LEASE_SECONDS)), ASIDE);
        CompletableFuture<Set<StorePath>> validOutside = outside.isEmpty() ? CompletableFuture.completedFuture(Set.of())
                : CompletableFuture.supplyAsync(() -> Set.copyOf(tables.paths().revive(outside)), ASIDE);
        List<Candidate> fresh = new ArrayList<>();
        for (Candidate c : byPath.values()) {
            PathInfo info = c.info();
            if (verify && !info.isContentAddressed(storeDir)
                    && info.countValidSignatures(storeDir, config.trustedKeys()) == 0) {
                throw new StoreException("cannot add path '" + storeDir.print(info.path())
                        + "' because it lacks a signature by a trusted key");
            }
            List<Signature> signatures = new ArrayList<>(info.signatures());
            c.storeSignatures().stream().filter(s -> !signatures.contains(s)).forEach(signatures::add);
            PathInfo stamped = new PathInfo(info.path(), info.deriver(), info.narHash(), info.narSize(),
                    info.references(), now, trusted && info.ultimate(), signatures, info.ca());
            if (!PathInfoTable.fits(new StoredPath(stamped, c.nar()))) {
                throw new StoreException("cannot add path '" + storeDir.print(info.path()) + "': its "
                        + info.references().size() + " references and " + signatures.size()
                        + " signatures are more than one item of the paths table holds (DynamoDB's 400 KB)");
            }
            fresh.add(new Candidate(stamped, c.nar(), c.outputs()));
        }

        List<StorePath> alreadyValid = new ArrayList<>();
        Map<String, StoredPath> existing = tables.paths().getAll(byPath.keySet().stream().map(StorePath::hashPart).toList());
        Set<StorePath> validReferences = joined(validOutside);
        joined(rooted);
        fresh.removeIf(c -> {
            StoredPath old = existing.get(c.info().path().hashPart());
            if (old == null) {
                return false;
            }
            checkSame(old, c);
            alreadyValid.add(c.info().path());
            return true;
        });
        if (!alreadyValid.isEmpty()) {
            // Valid already, and now rooted (or about to be referred to): no collection may take them now.
            Set<StorePath> kept = new HashSet<>(tables.paths().revive(alreadyValid));
            List<StorePath> collected = alreadyValid.stream().filter(p -> !kept.contains(p)).toList();
            if (!collected.isEmpty()) {
                throw new StoreException("'" + config.storeDir().print(collected.getFirst())
                        + "' was garbage-collected while it was being registered; send it again");
            }
        }
        Map<StorePath, NarObject> objects = new LinkedHashMap<>();
        fresh.forEach(c -> c.nar().ifPresent(o -> objects.put(c.info().path(), o)));
        fence.checkObjects(joined(sweeps), writtenSinceMillis, objects);
        checkReferences(fresh, byPath.keySet(), validReferences);
        interleaving.committing(fresh.stream().map(Candidate::info).toList());
        List<TransactWriteItem> refused = new ArrayList<>();
        List<StorePath> registered = commit(fresh, alreadyValid, alongside, refused);
        Set<StorePath> committed = new HashSet<>(registered);
        Result result = new Result(registered, alreadyValid, refused,
                fresh.stream().map(Candidate::info).filter(i -> committed.contains(i.path())).toList());
        tables.stats().add(result.stored().size(), result.storedNarBytes());
        return result;
    }

    /**
     * The batch's paths that none of its others refers to. When the batch commits in one transaction,
     * rooting them keeps the whole batch alive: every other path is reachable from one of them, and
     * committed with it. (A batch of several transactions roots every path: between two of them, a
     * committed path's referrers are not valid yet.)
     */
    private static Set<StorePath> heads(Map<StorePath, Candidate> byPath) {
        Set<StorePath> heads = new TreeSet<>(byPath.keySet());
        byPath.values().forEach(c -> c.info().references().stream().filter(r -> !r.equals(c.info().path()))
                .forEach(heads::remove));
        return heads;
    }

    /** References outside the batch must be valid now ({@code valid}: those of them found valid and revived). */
    private void checkReferences(List<Candidate> fresh, Set<StorePath> inBatch, Set<StorePath> valid) {
        for (Candidate c : fresh) {
            for (StorePath r : c.info().references()) {
                if (!inBatch.contains(r) && !valid.contains(r)) {
                    throw new MissingReferenceException("cannot add path '" + config.storeDir().print(c.info().path())
                            + "' because its reference '" + config.storeDir().print(r) + "' is not valid");
                }
            }
        }
    }

    /**
     * The transactions. Each puts paths on the condition that they are absent, and checks that the
     * references they have outside it are valid and unmarked by any garbage collection (a marked
     * reference is revived and the transaction retried). Paths go in reference order, as many per
     * transaction as DynamoDB's {@value #MAX_BATCH} items allow; usually the whole batch is one.
     * A path that another registration made valid in the meantime is dropped if its NAR hash
     * matches (and the batch fails if not); conflicts and throttling are retried.
     */
    private List<StorePath> commit(List<Candidate> fresh, List<StorePath> alreadyValid, List<TransactWriteItem> alongside,
                                   List<TransactWriteItem> refused) {
        // Referrer edges and derivation outputs are unconditional puts that readers ignore until their
        // path is valid: in the transaction when there is room (one round trip less), else before it.
        List<TransactWriteItem> sideWrites = new ArrayList<>(tables.referrers().edgePuts(fresh.stream().map(Candidate::info).toList()));
        sideWrites.addAll(tables.derivationOutputs().puts(fresh.stream().flatMap(c -> c.outputs().stream()).toList()));
        List<List<Candidate>> chunks = new ArrayList<>();
        List<List<StorePath>> chunkChecks = new ArrayList<>();
        List<Candidate> ordered = referencesFirst(fresh);
        int from = 0;
        while (from < ordered.size()) {
            List<Candidate> chunk = new ArrayList<>();
            Set<StorePath> inChunk = new HashSet<>();
            Set<StorePath> checks = new TreeSet<>();
            for (int k = from; k < ordered.size(); k++) {
                Candidate c = ordered.get(k);
                Set<StorePath> more = new TreeSet<>(checks);
                c.info().references().stream().filter(r -> !inChunk.contains(r) && !r.equals(c.info().path()))
                        .forEach(more::add);
                more.remove(c.info().path());
                if (!chunk.isEmpty() && chunk.size() + 1 + more.size() > MAX_BATCH) {
                    break;
                }
                chunk.add(c);
                inChunk.add(c.info().path());
                checks = more;
                checks.removeAll(inChunk);
            }
            from += chunk.size();
            chunks.add(chunk);
            chunkChecks.add(new ArrayList<>(checks));
        }
        if (chunks.isEmpty()) {
            chunks.add(List.of());
            chunkChecks.add(List.of());
        }
        int last = chunks.size() - 1;
        boolean sideInside = chunks.size() == 1
                && chunks.get(0).size() + chunkChecks.get(0).size() + sideWrites.size() + alongside.size() <= MAX_BATCH;
        if (!sideInside) {
            tables.referrers().putEdges(fresh.stream().map(Candidate::info).toList());
            tables.derivationOutputs().put(fresh.stream().flatMap(c -> c.outputs().stream()).toList());
        }
        List<StorePath> registered = new ArrayList<>();
        for (int i = 0; i < chunks.size(); i++) {
            List<TransactWriteItem> extra = new ArrayList<>();
            List<TransactWriteItem> conditional = List.of();
            if (i == last) {
                if (sideInside) {
                    extra.addAll(sideWrites);
                }
                conditional = new ArrayList<>(alongside);
            }
            registered.addAll(commitChunk(chunks.get(i), chunkChecks.get(i), alreadyValid, extra, conditional, refused));
        }
        return registered;
    }

    /** Orders a batch so that each path comes after the paths of the batch it references. */
    private static List<Candidate> referencesFirst(List<Candidate> batch) {
        Map<StorePath, Candidate> byPath = new LinkedHashMap<>();
        batch.forEach(c -> byPath.put(c.info().path(), c));
        List<Candidate> out = new ArrayList<>();
        Set<StorePath> placed = new HashSet<>();
        for (Candidate c : batch) {
            place(c, byPath, placed, new HashSet<>(), out);
        }
        return out;
    }

    private static void place(Candidate c, Map<StorePath, Candidate> byPath, Set<StorePath> placed,
                              Set<StorePath> visiting, List<Candidate> out) {
        StorePath p = c.info().path();
        if (placed.contains(p)) {
            return;
        }
        if (!visiting.add(p)) {
            throw new StoreException("'" + p.baseName() + "' is part of a cycle of references");
        }
        for (StorePath r : c.info().references()) {
            Candidate dep = byPath.get(r);
            if (dep != null && !r.equals(p)) {
                place(dep, byPath, placed, visiting, out);
            }
        }
        placed.add(p);
        out.add(c);
    }

    /**
     * One transaction of paths ({@code chunk}), the checks of their outside references, unconditional
     * {@code extra} puts and {@code conditional} writes (dropped into {@code refused} when their
     * condition fails), retried until it commits.
     */
    private List<StorePath> commitChunk(List<Candidate> chunk, List<StorePath> checks, List<StorePath> alreadyValid,
                                        List<TransactWriteItem> extra, List<TransactWriteItem> conditional,
                                        List<TransactWriteItem> refused) {
        if (!conditional.isEmpty() && chunk.size() + extra.size() + conditional.size() > MAX_BATCH) {
            List<StorePath> registered = commitChunk(chunk, checks, alreadyValid, extra, List.of(), refused);
            commitChunk(List.of(), List.of(), alreadyValid, List.of(), conditional, refused);
            return registered;
        }
        List<Candidate> pending = new ArrayList<>(chunk);
        List<TransactWriteItem> sides = new ArrayList<>(extra);
        List<TransactWriteItem> conditions = new ArrayList<>(conditional);
        for (int round = 1; ; round++) {
            List<TransactWriteItem> items = new ArrayList<>();
            pending.forEach(c -> items.add(tables.paths().putIfAbsent(new StoredPath(c.info(), c.nar()))));
            int firstCheck = items.size();
            int room = MAX_BATCH - items.size() - sides.size() - conditions.size();
            List<StorePath> checked = pending.isEmpty() ? List.of() : checks.size() > room ? checks.subList(0, room) : checks;
            checked.forEach(r -> items.add(tables.paths().unmarked(r)));
            items.addAll(sides);
            int firstConditional = items.size();
            items.addAll(conditions);
            if (items.isEmpty()) {
                return List.of();
            }
            try {
                tables.db().transactWriteItems(t -> t.transactItems(items));
                if (checked.size() < checks.size() && !pending.isEmpty()) {
                    verifyAfterCommit(pending, checks.subList(checked.size(), checks.size()));
                }
                return pending.stream().map(c -> c.info().path()).toList();
            } catch (TransactionCanceledException cancelled) {
                List<CancellationReason> reasons = cancelled.hasCancellationReasons()
                        ? cancelled.cancellationReasons() : List.of();
                List<Candidate> taken = new ArrayList<>();
                List<StorePath> marked = new ArrayList<>();
                List<TransactWriteItem> refusedNow = new ArrayList<>();
                boolean retry = reasons.isEmpty();
                for (int i = 0; i < reasons.size() && i < items.size(); i++) {
                    String code = reasons.get(i).code();
                    if ("ConditionalCheckFailed".equals(code)) {
                        if (i < firstCheck) {
                            taken.add(pending.get(i));
                        } else if (i >= firstConditional) {
                            refusedNow.add(items.get(i));
                        } else {
                            marked.add(checked.get(i - firstCheck));
                        }
                    } else if (code != null && !"None".equals(code)) {
                        retry = true; // TransactionConflict, ThrottlingError, ProvisionedThroughputExceeded
                    }
                }
                conditions.removeAll(refusedNow);
                refused.addAll(refusedNow);
                if (!marked.isEmpty()) {
                    Set<StorePath> revived = new HashSet<>(tables.paths().revive(marked));
                    for (StorePath r : marked) {
                        if (!revived.contains(r)) {
                            throw new MissingReferenceException("cannot add path '" + config.storeDir().print(
                                    pending.stream().filter(c -> c.info().references().contains(r)).findFirst()
                                            .map(c -> c.info().path()).orElse(r))
                                    + "' because its reference '" + config.storeDir().print(r)
                                    + "' was garbage-collected meanwhile");
                        }
                    }
                    retry = true;
                }
                if (!taken.isEmpty()) {
                    Map<String, StoredPath> now = tables.paths().getAll(taken.stream()
                            .map(c -> c.info().path().hashPart()).toList());
                    for (Candidate c : taken) {
                        StoredPath old = now.get(c.info().path().hashPart());
                        if (old == null) {
                            retry = true; // registered and then deleted by a collection: try again
                            continue;
                        }
                        checkSame(old, c);
                        pending.remove(c);
                        alreadyValid.add(c.info().path());
                    }
                }
                if (pending.isEmpty()) {
                    sides.clear(); // the paths' other registration wrote their edges
                }
                if (retry) {
                    BatchBackoff.sleep(round, "registering " + pending.size() + " paths");
                }
            }
        }
    }

    /**
     * A path with more references than one transaction can check has the rest checked after its
     * commit: if a collection took one meanwhile, the path is withdrawn again and the registration
     * fails, so it is never left valid without its references.
     */
    private void verifyAfterCommit(List<Candidate> committed, List<StorePath> references) {
        Set<StorePath> revived = new HashSet<>(tables.paths().revive(references));
        List<StorePath> gone = references.stream().filter(r -> !revived.contains(r)).toList();
        if (gone.isEmpty()) {
            return;
        }
        for (Candidate c : committed) {
            tables.paths().withdraw(c.info().path().hashPart(), c.info().registrationTime());
        }
        throw new MissingReferenceException("cannot add paths: the reference '" + config.storeDir().print(gone.getFirst())
                + "' was garbage-collected while they were registered");
    }

    private void checkSame(StoredPath old, Candidate c) {
        if (!old.info().path().equals(c.info().path())) {
            throw new StoreException("cannot add path '" + config.storeDir().print(c.info().path())
                    + "': its hash part is taken by '" + config.storeDir().print(old.info().path()) + "'");
        }
        if (!old.info().narHash().equals(c.info().narHash())) {
            throw new StoreException("path '" + config.storeDir().print(c.info().path())
                    + "' is already valid with NAR hash " + old.info().narHash() + ", not " + c.info().narHash());
        }
    }
}
