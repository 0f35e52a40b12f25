package dev.cumulus.functions;

import dev.cumulus.functions.tables.BatchBackoff;
import dev.cumulus.functions.tables.DerivationOutputsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.event.NarObject;
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
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Makes a batch of paths valid, all together or not at all.
 *
 * <p>The order of writes is what keeps readers safe: referrer edges and derivation outputs are
 * written first (readers ignore them until their path is valid), then one DynamoDB transaction puts
 * every path item on the condition that none exists. A path item is the commit point of its path,
 * and the transaction makes the batch's items appear together. A batch is therefore bounded by
 * DynamoDB's transaction size ({@value #MAX_BATCH} items); callers with more send batches in
 * topological order, each of which is consistent on its own.
 *
 * <p>Before the transaction: every reference must be valid or in the batch, every input-addressed
 * path needs a signature by a trusted key unless a trusted caller waived the check (the store's own
 * signatures are added after that check, not counted by it), and a path already valid must have the
 * same NAR hash (then it is left as it is).
 */
public final class PathRegistration {
    public static final int MAX_BATCH = RegisterPaths.MAX_PATHS;

    private final StoreTables tables;
    private final FunctionsConfig config;
    private final Clock clock;

    public PathRegistration(StoreTables tables, FunctionsConfig config, Clock clock) {
        this.tables = tables;
        this.config = config;
        this.clock = clock;
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
    }

    public record Result(List<StorePath> registered, List<StorePath> alreadyValid) {}

    public Result register(boolean trusted, boolean checkSigs, List<Candidate> batch) {
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
            fresh.add(new Candidate(stamped, c.nar(), c.outputs()));
        }

        List<StorePath> alreadyValid = new ArrayList<>();
        Map<String, StoredPath> existing = tables.paths().getAll(byPath.keySet().stream().map(StorePath::hashPart).toList());
        fresh.removeIf(c -> {
            StoredPath old = existing.get(c.info().path().hashPart());
            if (old == null) {
                return false;
            }
            checkSame(old, c);
            alreadyValid.add(c.info().path());
            return true;
        });
        checkReferences(fresh, byPath.keySet());
        if (fresh.isEmpty()) {
            return new Result(List.of(), alreadyValid);
        }

        tables.referrers().putEdges(fresh.stream().map(Candidate::info).toList());
        tables.derivationOutputs().put(fresh.stream().flatMap(c -> c.outputs().stream()).toList());
        List<StorePath> registered = commit(fresh, alreadyValid);
        return new Result(registered, alreadyValid);
    }

    /** References outside the batch must be valid now. */
    private void checkReferences(List<Candidate> fresh, Set<StorePath> inBatch) {
        Set<StorePath> outside = new TreeSet<>();
        for (Candidate c : fresh) {
            c.info().references().stream().filter(r -> !inBatch.contains(r)).forEach(outside::add);
        }
        if (outside.isEmpty()) {
            return;
        }
        Set<StorePath> valid = new HashSet<>(tables.paths().valid(outside));
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
     * The transaction. A path that another registration made valid in the meantime is dropped from
     * it if its NAR hash matches (and the batch fails if not); conflicts and throttling are retried.
     */
    private List<StorePath> commit(List<Candidate> fresh, List<StorePath> alreadyValid) {
        List<Candidate> pending = new ArrayList<>(fresh);
        for (int round = 1; ; round++) {
            List<TransactWriteItem> puts = pending.stream()
                    .map(c -> tables.paths().putIfAbsent(new StoredPath(c.info(), c.nar()))).toList();
            try {
                tables.db().transactWriteItems(t -> t.transactItems(puts));
                return pending.stream().map(c -> c.info().path()).toList();
            } catch (TransactionCanceledException cancelled) {
                List<CancellationReason> reasons = cancelled.hasCancellationReasons()
                        ? cancelled.cancellationReasons() : List.of();
                List<Candidate> taken = new ArrayList<>();
                boolean retry = reasons.isEmpty();
                for (int i = 0; i < reasons.size() && i < pending.size(); i++) {
                    String code = reasons.get(i).code();
                    if ("ConditionalCheckFailed".equals(code)) {
                        taken.add(pending.get(i));
                    } else if (code != null && !"None".equals(code)) {
                        retry = true; // TransactionConflict, ThrottlingError, ProvisionedThroughputExceeded
                    }
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
                    return List.of();
                }
                if (retry) {
                    BatchBackoff.sleep(round, "registering " + pending.size() + " paths");
                }
            }
        }
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
