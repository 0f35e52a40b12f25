package dev.cumulus.functions;

import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.SubstitutionsTable;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.RegistrationBatch;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfo;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionJob;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Substitution: the store fetching what it lacks from its upstream binary caches, as a nix-daemon
 * with {@code substituters} does. {@code substitute-paths} records a job and queues it; the
 * {@code substitute} function runs each job to its end:
 * <ol>
 * <li>the closure of what was asked that is not valid here, each path's narinfo from the first cache
 *     that has one the trusted keys accept ({@link Substituters}); a path no cache offers, and every
 *     path that refers to it, cannot be had;</li>
 * <li>each missing path is claimed ({@code path#…} in the substitutions table; those found meanwhile
 *     in one transaction) so that a path many jobs want is fetched once: a job waits for the paths
 *     another holds;</li>
 * <li>its NAR is streamed from upstream, decompressed, checked against the narinfo's hash and size
 *     and stored in the bucket in the store's compression ({@link NarImport}: nothing is visible until
 *     it checked); several side by side;</li>
 * <li>the paths are registered while the rest is fetched, each once its references are valid,
 *     references first, in batches of one transaction each ({@link RegistrationBatch}), as the
 *     connection's (or the job's) temporary roots, so the store invariant holds and no collection
 *     takes them meanwhile; then their
 *     narinfos, signed by the store's key besides upstream's signatures, go to the bucket, and the
 *     realisations asked for are registered.</li>
 * </ol>
 * A NAR that was stored but whose path never registered is unreferenced, so a collection removes it
 * after its grace period.
 */
public final class Substitution {
    private static final Logger LOG = Logger.getLogger(Substitution.class.getName());
    static final int PARALLEL_FETCHES = 16;
    static final int PARALLEL_LOOKUPS = 16;
    /**
     * Validity questions of the walk in flight at once: when the narinfos are known already
     * (QueryMissing's walk read them a moment before), the walk goes at the pace of these.
     */
    static final int PARALLEL_CHECKS = 4;
    /** The most paths one validity question of the walk asks (one BatchGetItem). */
    static final int CHECK_BATCH = 100;
    /** How long the walk's paths wait for others to share a validity question with. */
    static final Duration CHECK_EVERY = Duration.ofMillis(20);
    static final int PARALLEL_WRITES = 32;
    /** How long a job's claim on a path holds: longer than the function may run. */
    static final Duration CLAIM = Duration.ofMinutes(16);
    static final Duration KEEP_JOB = Duration.ofDays(1);
    private static final Duration WAIT_STEP = Duration.ofMillis(100);
    private static final java.util.concurrent.Executor ASIDE = r -> Thread.ofVirtual().start(r);

    private final StoreTables tables;
    private final Bucket bucket;
    private final Substituters upstream;
    private final PathRegistration registration;
    private final Realisations realisations;
    private final FunctionsConfig config;
    private final StoreDir storeDir;
    private final JobQueue<SubstitutionJob> queue;
    private final NarCompression compression;
    private final Clock clock;

    private final Metrics metrics;

    public Substitution(StoreTables tables, Bucket bucket, Substituters upstream, PathRegistration registration,
                        Realisations realisations, FunctionsConfig config, JobQueue<SubstitutionJob> queue,
                        NarCompression compression, Clock clock, Metrics metrics) {
        this.metrics = metrics;
        this.tables = tables;
        this.bucket = bucket;
        this.upstream = upstream;
        this.registration = registration;
        this.realisations = realisations;
        this.config = config;
        this.storeDir = config.storeDir();
        this.queue = queue;
        this.compression = compression;
        this.clock = clock;
    }

    /** QuerySubstitutablePaths: the paths some cache offers (valid ones are not asked about). */
    public List<StorePath> substitutable(List<StorePath> paths) {
        return lookups(paths).entrySet().stream().filter(e -> e.getValue().offer().isPresent()).map(Map.Entry::getKey).toList();
    }

    /**
     * QuerySubstitutablePathInfos: what the caches say of the paths they offer; with {@code closure},
     * of every path their closures need that is not valid here too (QueryMissing's walk, done as
     * the substitution's own walk is: several narinfos at once, each path's validity asked beside it).
     */
    public SubstitutableInfos infos(List<StorePath> paths, boolean closure) {
        Map<StorePath, Substituters.Offer> offers = new LinkedHashMap<>();
        if (closure) {
            closure(new LinkedHashSet<>(paths), new ConcurrentHashMap<>(), offers, new HashSet<>(), (path, offer) -> { });
        } else {
            lookups(paths).forEach((path, lookup) -> lookup.offer().ifPresent(o -> offers.put(path, o)));
        }
        List<SubstitutableInfo> out = new ArrayList<>();
        offers.forEach((path, o) -> {
            NarInfo n = o.narInfo();
            out.add(new SubstitutableInfo(storeDir.print(path), n.info().deriver().map(storeDir::print).orElse(null),
                    n.info().references().stream().map(storeDir::print).toList(), n.fileSize(), n.info().narSize()));
        });
        return new SubstitutableInfos(out);
    }

    /** Hears of the end of each job that does a build graph's step. */
    public interface StepListener {
        void substitutionEnded(String step, SubstitutionState state);
    }

    private volatile StepListener steps = (step, state) -> { };

    public void onStepEnd(StepListener listener) {
        this.steps = listener;
    }

    /** Whether some cache has a trusted realisation under each of {@code ids}. */
    public boolean realisable(Collection<DrvOutput> ids) {
        return !upstream.isEmpty() && ids.stream().allMatch(id -> upstream.realisation(id).isPresent());
    }

    /** substitute-paths: a job for what is missing, or, when nothing is, an answer at once. */
    public SubstitutionState submit(SubstitutePaths request) {
        return submit(request, null);
    }

    /** As {@link #submit(SubstitutePaths)}, the job doing the graph's {@code step} (null: none). */
    public SubstitutionState submit(SubstitutePaths request, String step) {
        List<StorePath> paths = PathQueries.parseAll(storeDir, request.paths());
        request.drvOutputs().forEach(id -> DrvOutput.parse(storeDir, id)); // a malformed id is refused here
        long now = clock.instant().getEpochSecond();
        if (request.drvOutputs().isEmpty() && tables.paths().valid(paths).size() == new HashSet<>(paths).size()) {
            return new SubstitutionState("", SubstitutionState.DONE, Map.of(), 0, now, now);
        }
        if (upstream.isEmpty()) {
            Map<String, String> failed = new TreeMap<>();
            Set<StorePath> valid = new HashSet<>(tables.paths().valid(paths));
            paths.stream().filter(p -> !valid.contains(p)).limit(SubstitutionState.MAX_FAILED).forEach(p -> failed.put(
                    storeDir.print(p), "path '" + storeDir.print(p) + "' is required, but there is no substituter that can build it"));
            request.drvOutputs().forEach(id -> failed.putIfAbsent(id, "the store has no substituters to realise '" + id + "'"));
            return new SubstitutionState("", SubstitutionState.DONE, failed, 0, now, now);
        }
        String id = UUID.randomUUID().toString();
        tables.substitutions().putJob(id, now, now + KEEP_JOB.toSeconds());
        queue.send(new SubstitutionJob(id, request.paths(), request.drvOutputs(), request.session(), step));
        return new SubstitutionState(id, SubstitutionState.QUEUED, Map.of(), 0, now, 0);
    }

    public SubstitutionState query(QuerySubstitution q) {
        if (q.id() == null) {
            throw new StoreException("'id' is missing");
        }
        return tables.substitutions().job(q.id())
                .orElseThrow(() -> new StoreException("there is no substitution '" + q.id() + "'"));
    }

    /** The substitute function: each message is a job, run to its end; a job that breaks comes back. */
    public MessagesHandled handle(QueueMessages messages) {
        return messages.each(SubstitutionJob.class, this::run);
    }

    /** Runs one job: fetches and registers what it can, records what it cannot and why. */
    public SubstitutionState run(SubstitutionJob job) {
        tables.substitutions().running(job.id());
        String session = job.session() != null ? job.session() : "substitution#" + job.id();
        Map<String, String> failed = new TreeMap<>();
        Set<StorePath> asked = new LinkedHashSet<>(PathQueries.parseAll(storeDir, job.paths()));
        Map<StorePath, Realisation> toRealise = new LinkedHashMap<>();
        for (String id : job.drvOutputs()) {
            DrvOutput drvOutput = DrvOutput.parse(storeDir, id);
            Optional<Realisation> known = tables.realisations().get(id);
            if (known.isPresent() && tables.paths().get(known.get().outPath()).isPresent()) {
                continue;
            }
            Optional<Realisation> found = upstream.realisation(drvOutput);
            if (found.isEmpty()) {
                failed.put(id, "no substituter has a realisation of '" + id + "' signed by a trusted key");
                continue;
            }
            toRealise.put(found.get().outPath(), found.get());
        }
        Set<StorePath> wanted = new LinkedHashSet<>(asked);
        wanted.addAll(toRealise.keySet());

        Phases phases = new Phases();
        Map<StorePath, String> cannot = new ConcurrentHashMap<>();
        Map<StorePath, Substituters.Offer> offers = new LinkedHashMap<>(); // the walk's own
        Set<StorePath> validHere = ConcurrentHashMap.newKeySet();
        Set<StorePath> others = ConcurrentHashMap.newKeySet();
        Set<StorePath> mine = ConcurrentHashMap.newKeySet();
        long fetchedCount = 0;
        Set<StorePath> registered = ConcurrentHashMap.newKeySet();
        try {
            // Paths are claimed as their narinfos arrive, as many at a time as have arrived meanwhile,
            // fetched once claimed while the walk goes on, and registered as soon as what they refer
            // to is valid while the rest is fetched.
            long now = clock.instant().getEpochSecond();
            // Claimed, like fetched, last found first: the far end of a chain registers first.
            LinkedBlockingDeque<Found> arrived = new LinkedBlockingDeque<>();
            Fetches fetches = new Fetches();
            long fetchesSince = clock.millis(); // no NAR of this job is written before
            try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<?> claiming = threads.submit(() -> {
                    try {
                        for (boolean end = false; !end || !arrived.isEmpty(); ) {
                            List<Found> next = new ArrayList<>(List.of(arrived.takeLast()));
                            for (Found f; next.size() < SubstitutionsTable.MAX_CLAIMS && (f = arrived.pollLast()) != null; ) {
                                next.add(f);
                            }
                            end |= next.remove(Found.END);
                            Set<StorePath> held = next.isEmpty() ? Set.of() : tables.substitutions().claimAll(
                                    next.stream().map(Found::path).toList(), job.id(), now, now + CLAIM.toSeconds());
                            for (Found f : next) {
                                if (held.contains(f.path())) {
                                    mine.add(f.path());
                                    fetches.add(f);
                                } else {
                                    others.add(f.path());
                                }
                            }
                        }
                    } finally {
                        fetches.close();
                    }
                    return null;
                });
                for (int i = 0; i < PARALLEL_FETCHES; i++) {
                    threads.submit(() -> {
                        for (Found f; (f = fetches.next()) != null; ) {
                            try {
                                fetches.fetched(f.path(), fetchOne(f.offer()));
                            } catch (IOException | RuntimeException x) {
                                LOG.log(Level.WARNING, "substituting " + f.path().baseName() + " failed", x);
                                cannot.put(f.path(), x.getMessage() == null ? x.toString() : x.getMessage());
                                fetches.failed();
                            }
                        }
                        return null;
                    });
                }
                Future<Long> registering = threads.submit(() ->
                        register(fetches, validHere, others, cannot, session, registered, phases, fetchesSince));
                try {
                    AtomicLong found = new AtomicLong();
                    closure(wanted, cannot, offers, validHere,
                            (path, offer) -> arrived.add(new Found(path, offer, found.getAndIncrement())));
                    phases.end("closure of " + offers.size() + " missing");
                } finally {
                    arrived.add(Found.END);
                }
                try {
                    claiming.get();
                    fetchedCount = registering.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new StoreException("substituting: " + e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StoreException("interrupted while substituting");
                }
            }
            phases.end("registration");
            for (Map.Entry<StorePath, Realisation> r : toRealise.entrySet()) {
                String id = r.getValue().id().render(storeDir);
                if (cannot.containsKey(r.getKey()) || tables.paths().get(r.getKey()).isEmpty()) {
                    failed.put(id, "the output '" + storeDir.print(r.getKey()) + "' of '" + id + "' cannot be substituted: "
                            + cannot.getOrDefault(r.getKey(), "it did not become valid"));
                    continue;
                }
                try {
                    realisations.register(true, r.getValue());
                    bucket.put(BinaryCacheLayout.realisationKey(r.getValue().id()), BinaryCacheLayout.realisationFile(r.getValue()),
                            BinaryCacheLayout.REALISATION_TYPE);
                } catch (StoreException | IOException e) {
                    failed.put(id, e.getMessage());
                }
            }
        } finally {
            // A registered path's claim can stay until it expires (whoever asks finds the path valid);
            // the others are released, so another job may try them again.
            Set<StorePath> unregistered = new HashSet<>(mine);
            unregistered.removeAll(registered);
            inParallel(unregistered, PARALLEL_WRITES, p -> tables.substitutions().release(p, job.id()));
        }
        Set<StorePath> valid = new HashSet<>(tables.paths().valid(asked));
        for (StorePath p : asked) {
            if (!valid.contains(p) && failed.size() < SubstitutionState.MAX_FAILED) {
                String why = cannot.get(p);
                failed.put(storeDir.print(p), why != null ? why
                        : "path '" + storeDir.print(p) + "' did not become valid");
            }
        }
        long end = clock.instant().getEpochSecond();
        metrics.count(StoreMetrics.SUBSTITUTED_PATHS, fetchedCount, "substituted");
        metrics.count(StoreMetrics.SUBSTITUTED_PATHS, failed.size(), "failed");
        tables.substitutions().done(job.id(), failed, fetchedCount, end);
        if (job.step() != null) {
            steps.substitutionEnded(job.step(), query(new QuerySubstitution(job.id())));
        }
        phases.end("end");
        long fetchedPaths = fetchedCount;
        LOG.info(() -> "substitution " + job.id() + ": " + fetchedPaths + " paths fetched, " + failed.size() + " failed; " + phases);
        return query(new QuerySubstitution(job.id()));
    }

    /**
     * The paths this job claimed, fetched by a few workers, the one the walk found last first: a
     * path's references are found after it, so when the walk is ahead of the fetches the far end of
     * a chain (which must register first) is fetched first, whatever the order and size of the
     * claims that brought the paths here. Tells the registration what was fetched.
     */
    static final class Fetches {
        private final PriorityQueue<Found> waiting = new PriorityQueue<>(Comparator.comparingLong(Found::order).reversed());
        private final Map<StorePath, PathRegistration.Candidate> fetched = new LinkedHashMap<>();
        private int unfinished;
        private boolean closed;

        synchronized void add(Found f) {
            waiting.add(f);
            unfinished++;
            notifyAll();
        }

        /** No more paths will be added. */
        synchronized void close() {
            closed = true;
            notifyAll();
        }

        /** The next path to fetch; null once there is none and will be none. */
        synchronized Found next() throws InterruptedException {
            while (waiting.isEmpty() && !closed) {
                wait();
            }
            return waiting.poll();
        }

        synchronized void fetched(StorePath path, PathRegistration.Candidate candidate) {
            fetched.put(path, candidate);
            unfinished--;
            notifyAll();
        }

        synchronized void failed() {
            unfinished--;
            notifyAll();
        }

        /**
         * Moves what was fetched into {@code into}, first waiting (with {@code wait}) until there is
         * something or a moment passed; answers whether every path was fetched (or failed).
         */
        synchronized boolean awaitFetched(Map<StorePath, PathRegistration.Candidate> into, boolean wait)
                throws InterruptedException {
            if (wait && fetched.isEmpty() && !(closed && unfinished == 0)) {
                wait(WAIT_STEP.toMillis());
            }
            into.putAll(fetched);
            fetched.clear();
            return closed && unfinished == 0;
        }
    }

    /**
     * A path the walk found missing here and offered upstream, {@code order}-th; {@link #END} when
     * the walk is over.
     */
    record Found(StorePath path, Substituters.Offer offer, long order) {
        static final Found END = new Found(null, null, -1);
    }

    /** What the walk hears: a path's narinfo lookup, or which of some paths are valid. */
    private sealed interface Answer {}

    private record Looked(StorePath path, Substituters.Lookup lookup) implements Answer {}

    private record Checked(List<StorePath> asked, Set<StorePath> valid) implements Answer {}

    /**
     * Walks what {@code wanted} needs that is not valid here into {@code offers}, handing each needed
     * offer to {@code found} as soon as it is known (a path's references are known only from its
     * narinfo, so the walk goes on as narinfos come, several at once); into {@code cannot} the
     * needed paths no cache offers, with why; into {@code validHere} the paths it found valid.
     *
     * <p>Down a chain each step would wait for its narinfo and then for the path's validity. Here
     * the walk follows narinfos alone, and validity is asked beside it, of up to a hundred paths at a
     * time (those seen in the last {@link #CHECK_EVERY}, or at once when the walk waits for nothing
     * else), a few questions at once: a path is needed once it is known not valid and is wanted or
     * referred to by a needed path. Narinfos read below a path that turns out valid are the price
     * (a few, since the answers come within a round trip); nothing below it is fetched.
     */
    private void closure(Set<StorePath> wanted, Map<StorePath, String> cannot, Map<StorePath, Substituters.Offer> offers,
                         Set<StorePath> validHere, java.util.function.BiConsumer<StorePath, Substituters.Offer> found) {
        Map<StorePath, Substituters.Lookup> looked = new HashMap<>();
        Map<StorePath, Boolean> isValid = new HashMap<>();
        Map<StorePath, Set<StorePath>> referrers = new HashMap<>();
        Set<StorePath> needed = new HashSet<>();
        Set<StorePath> seen = new HashSet<>(wanted);
        ArrayDeque<StorePath> unchecked = new ArrayDeque<>(wanted);
        try (ExecutorService threads = Executors.newFixedThreadPool(PARALLEL_LOOKUPS + PARALLEL_CHECKS, Thread.ofVirtual().factory())) {
            ExecutorCompletionService<Answer> answers = new ExecutorCompletionService<>(threads);
            int lookups = 0;
            for (StorePath p : wanted) {
                answers.submit(() -> new Looked(p, upstream.lookup(p)));
                lookups++;
            }
            int checking = 0;
            long lastCheck = System.nanoTime() - CHECK_EVERY.toNanos();
            // Settles a path whose narinfo and validity may both be known now; what it makes needed, in turn.
            ArrayDeque<StorePath> settle = new ArrayDeque<>();
            while (lookups > 0 || checking > 0 || !unchecked.isEmpty()) {
                // A question of validity costs a request whatever it asks, so paths wait for a hundred
                // others or a moment, unless the walk has nothing else to wait for.
                long now = System.nanoTime();
                while (checking < PARALLEL_CHECKS && !unchecked.isEmpty()
                        && (unchecked.size() >= CHECK_BATCH || lookups == 0 || now - lastCheck >= CHECK_EVERY.toNanos())) {
                    List<StorePath> asked = new ArrayList<>();
                    while (!unchecked.isEmpty() && asked.size() < CHECK_BATCH) {
                        asked.add(unchecked.poll());
                    }
                    answers.submit(() -> new Checked(asked, new HashSet<>(tables.paths().valid(asked))));
                    checking++;
                    lastCheck = now;
                }
                Future<Answer> next = unchecked.isEmpty() || checking == PARALLEL_CHECKS ? answers.take()
                        : answers.poll(Math.max(0, lastCheck + CHECK_EVERY.toNanos() - now), TimeUnit.NANOSECONDS);
                if (next == null) {
                    continue;
                }
                Answer a = next.get();
                switch (a) {
                    case Looked l -> {
                        looked.put(l.path(), l.lookup());
                        if (!Boolean.TRUE.equals(isValid.get(l.path())) && l.lookup().offer().isPresent()) {
                            for (StorePath r : l.lookup().offer().get().narInfo().info().references()) {
                                referrers.computeIfAbsent(r, k -> new HashSet<>()).add(l.path());
                                if (seen.add(r)) {
                                    answers.submit(() -> new Looked(r, upstream.lookup(r)));
                                    lookups++;
                                    unchecked.add(r);
                                }
                            }
                        }
                        lookups--;
                        settle.add(l.path());
                    }
                    case Checked c -> {
                        checking--;
                        c.asked().forEach(p -> isValid.put(p, c.valid().contains(p)));
                        validHere.addAll(c.valid());
                        settle.addAll(c.asked());
                    }
                }
                while (!settle.isEmpty()) {
                    StorePath p = settle.poll();
                    Substituters.Lookup lookup = looked.get(p);
                    if (needed.contains(p) || lookup == null || !Boolean.FALSE.equals(isValid.get(p))) {
                        continue;
                    }
                    boolean wantedHere = wanted.contains(p)
                            || referrers.getOrDefault(p, Set.of()).stream().anyMatch(needed::contains);
                    if (!wantedHere) {
                        continue;
                    }
                    needed.add(p);
                    Optional<Substituters.Offer> offer = lookup.offer();
                    if (offer.isEmpty()) {
                        cannot.put(p, "path '" + storeDir.print(p) + "' is required, but there is no substituter "
                                + "that can build it" + (lookup.reasons().isEmpty() ? "" : " (" + lookup.whyNot() + ")"));
                        continue;
                    }
                    offers.put(p, offer.get());
                    found.accept(p, offer.get());
                    settle.addAll(offer.get().narInfo().info().references());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while walking the closure to substitute");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new StoreException(e.getCause().toString());
        }
    }

    /** The lookups of {@code paths}, several at once (each is an HTTP round trip or more). */
    private Map<StorePath, Substituters.Lookup> lookups(Collection<StorePath> paths) {
        Map<StorePath, Substituters.Lookup> out = new ConcurrentHashMap<>();
        Semaphore slots = new Semaphore(PARALLEL_LOOKUPS);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (StorePath p : paths) {
                threads.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        out.put(p, upstream.lookup(p));
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        Map<StorePath, Substituters.Lookup> ordered = new LinkedHashMap<>();
        paths.forEach(p -> ordered.put(p, out.get(p)));
        return ordered;
    }

    /** Marks every path of {@code among} that refers, directly or not, to a path in {@code cannot}. */
    private void failReferrers(Map<StorePath, PathRegistration.Candidate> among, Map<StorePath, String> cannot) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (PathRegistration.Candidate c : among.values()) {
                StorePath p = c.info().path();
                if (cannot.containsKey(p)) {
                    continue;
                }
                for (StorePath r : c.info().references()) {
                    if (!r.equals(p) && cannot.containsKey(r)) {
                        cannot.put(p, "path '" + storeDir.print(p) + "' cannot be substituted: its reference '"
                                + storeDir.print(r) + "' cannot (" + cannot.get(r) + ")");
                        changed = true;
                        break;
                    }
                }
            }
        }
        among.keySet().removeAll(cannot.keySet());
    }

    private PathRegistration.Candidate fetchOne(Substituters.Offer offer) throws IOException {
        PathInfo info = offer.narInfo().info();
        NarImport.Imported fetched = fetchNar(offer);
        List<String> storeSignatures = config.signingKey()
                .map(k -> List.of(info.sign(storeDir, k).signatures().getLast().render())).orElse(List.of());
        NewPath path = new NewPath(PathInfoEvent.of(storeDir, info), fetched.object(),
                NewPath.derivationOutputs(storeDir, info.path(), fetched.rootFile()), storeSignatures);
        return PathRegistration.Candidate.of(storeDir, path);
    }

    /**
     * A repair: fetches a valid path's NAR again from the first cache that has it with the hash and
     * size the store recorded, into the object it names now.
     *
     * @throws IOException saying why no cache could give it
     */
    public NarObject refetch(PathInfo valid) throws IOException {
        if (upstream.isEmpty()) {
            throw new IOException("no substituter is configured to fetch it from");
        }
        Substituters.Lookup lookup = upstream.lookup(valid.path());
        Substituters.Offer offer = lookup.offer().orElseThrow(() -> new IOException(lookup.whyNot()));
        PathInfo offered = offer.narInfo().info();
        if (!offered.narHash().equals(valid.narHash()) || offered.narSize() != valid.narSize()) {
            throw new IOException("'" + offer.cache().uri() + "' has another NAR for it (" + offered.narHash()
                    + ", " + offered.narSize() + " bytes)");
        }
        return fetchNar(offer).object();
    }

    /** Fetches an offered NAR into the bucket, checked against the offer's hash and size. */
    private NarImport.Imported fetchNar(Substituters.Offer offer) throws IOException {
        PathInfo info = offer.narInfo().info();
        // A file in the store's compression is stored as it is (checked, not compressed again).
        Optional<Hash> asIs = offer.narInfo().fileHash().filter(h -> h.algorithm() == HashAlgorithm.SHA256
                && offer.narInfo().compression().equals(compression.nixName()));
        if (asIs.isPresent()) {
            try (InputStream file = upstream.file(offer)) {
                return NarImport.asIs(bucket, compression, file, asIs.get(), info);
            } catch (NarImport.NotTheFile e) {
                LOG.warning(() -> "'" + offer.cache().uri() + "' misstates the file hash of '" + storeDir.print(info.path())
                        + "': " + e.getMessage() + "; compressing it again");
            } catch (IOException e) {
                throw failed(offer, e);
            }
        }
        try (InputStream nar = upstream.nar(offer)) {
            return NarImport.into(bucket, compression, nar, info);
        } catch (IOException e) {
            throw failed(offer, e);
        }
    }

    /** Why an offered NAR could not be fetched, in Nix's words where Nix has them. */
    private IOException failed(Substituters.Offer offer, IOException e) {
        PathInfo info = offer.narInfo().info();
        if (e instanceof NarImport.Mismatch m) {
            return new IOException("hash mismatch importing path '" + storeDir.print(info.path()) + "' from '"
                    + offer.cache().uri() + "';\n  specified: " + info.narHash().toString(HashFormat.NIX32) + ", "
                    + info.narSize() + " bytes\n  got:       " + m.narHash.toString(HashFormat.NIX32) + ", "
                    + m.narSize + " bytes");
        }
        return new IOException("the NAR of '" + storeDir.print(info.path()) + "' from '" + offer.cache().uri()
                + "': " + e.getMessage(), e);
    }

    /**
     * Registers what is fetched while the rest is fetched: whenever a registration ends, the next
     * registers every fetched path whose references are valid or registered with it (one batch,
     * references first), so the batches grow to what the fetches deliver meanwhile. A path that
     * needs one another job fetches waits for it. Returns how many paths became valid.
     */
    private long register(Fetches fetches, Set<StorePath> validHere, Set<StorePath> others, Map<StorePath, String> cannot,
                          String session, Set<StorePath> registered, Phases phases, long fetchesSince)
            throws InterruptedException {
        Map<StorePath, PathRegistration.Candidate> pending = new LinkedHashMap<>();
        Set<StorePath> waitingFor = new HashSet<>();
        long count = 0;
        List<CompletableFuture<Void>> narInfos = new ArrayList<>();
        boolean allFetched = false;
        boolean full = false; // the last batch left ready paths for the next: no waiting for more
        while (true) {
            if (!allFetched && fetches.awaitFetched(pending, !full)) {
                allFetched = true;
                phases.end("fetch");
                waitingFor.addAll(others);
            }
            failReferrers(pending, cannot);
            if (pending.isEmpty() && allFetched) {
                break;
            }
            List<PathRegistration.Candidate> batch = new ArrayList<>();
            Set<StorePath> inBatch = new HashSet<>();
            RegistrationBatch fitting = new RegistrationBatch();
            full = false;
            for (PathRegistration.Candidate c : topological(pending)) {
                boolean ready = c.info().references().stream().allMatch(r -> r.equals(c.info().path()) || inBatch.contains(r)
                        || registered.contains(r) || validHere.contains(r));
                if (!ready) {
                    continue;
                }
                if (!fitting.fits(c.info().path(), c.info().references())) {
                    full = true;
                    break;
                }
                fitting.add(c.info().path(), c.info().references());
                batch.add(c);
                inBatch.add(c.info().path());
            }
            if (batch.isEmpty()) {
                if (allFetched && waitingFor.isEmpty()) {
                    // Every reference is fetched, given up or found valid by the walk: none of these
                    // should be left; if one is, its path is refused rather than waited for forever.
                    for (PathRegistration.Candidate c : pending.values()) {
                        cannot.put(c.info().path(), "path '" + storeDir.print(c.info().path())
                                + "' cannot be substituted: one of its references did not become valid");
                    }
                    pending.clear();
                } else if (allFetched) {
                    // What is left waits for paths other jobs fetch.
                    awaitOthers(waitingFor, validHere, cannot);
                }
                continue;
            }
            try {
                PathRegistration.Result result = registration.register(true, false, batch, Optional.of(session), List.of(),
                        fetchesSince);
                count += result.registered().size();
                metrics.count(StoreMetrics.SUBSTITUTED_BYTES, result.storedNarBytes());
                registered.addAll(inBatch);
                // The narinfos (the binary cache's view) go while the next batch registers, not before it.
                List<PathRegistration.Candidate> written = batch;
                narInfos.add(CompletableFuture.runAsync(() -> writeNarInfos(written), ASIDE));
            } catch (StoreException e) {
                batch.forEach(c -> cannot.put(c.info().path(), e.getMessage()));
            }
            inBatch.forEach(pending::remove);
        }
        // What others fetch for this job's asking: done when each is valid or given up.
        while (!waitingFor.isEmpty()) {
            awaitOthers(waitingFor, validHere, cannot);
        }
        narInfos.forEach(CompletableFuture::join);
        return count;
    }

    /** Waits until one of the paths other jobs fetch is valid or given up (then it cannot be had). */
    private void awaitOthers(Set<StorePath> waitingFor, Set<StorePath> validHere, Map<StorePath, String> cannot) {
        while (true) {
            List<StorePath> valid = tables.paths().valid(waitingFor);
            if (!valid.isEmpty()) {
                valid.forEach(waitingFor::remove);
                validHere.addAll(valid);
                return;
            }
            long now = clock.instant().getEpochSecond();
            for (StorePath p : List.copyOf(waitingFor)) {
                if (!tables.substitutions().claimed(p, now) && tables.paths().get(p).isEmpty()) {
                    waitingFor.remove(p);
                    cannot.put(p, "path '" + storeDir.print(p) + "' was not substituted by the job that fetched it");
                    return;
                }
            }
            try {
                Thread.sleep(WAIT_STEP);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while waiting for another substitution");
            }
        }
    }

    /** The candidates in an order where each comes after the ones it refers to. */
    private static List<PathRegistration.Candidate> topological(Map<StorePath, PathRegistration.Candidate> among) {
        List<PathRegistration.Candidate> out = new ArrayList<>();
        Set<StorePath> placed = new HashSet<>();
        among.keySet().forEach(p -> place(p, among, placed, out));
        return out;
    }

    private static void place(StorePath p, Map<StorePath, PathRegistration.Candidate> among, Set<StorePath> placed,
                              List<PathRegistration.Candidate> out) {
        if (!placed.add(p)) {
            return;
        }
        PathRegistration.Candidate c = among.get(p);
        for (StorePath r : c.info().references()) {
            if (!r.equals(p) && among.containsKey(r)) {
                place(r, among, placed, out);
            }
        }
        out.add(c);
    }

    /** The registered paths' narinfos, so the bucket serves them as a binary cache too. */
    private void writeNarInfos(List<PathRegistration.Candidate> batch) {
        inParallel(batch, PARALLEL_WRITES, c -> {
            NarObject o = c.nar().orElseThrow();
            List<Signature> sigs = new ArrayList<>(c.info().signatures());
            sigs.addAll(c.storeSignatures());
            NarInfo narInfo = o.narInfo(c.info().withSignatures(sigs));
            try {
                BinaryCacheLayout.putNarInfo(bucket, storeDir, narInfo);
            } catch (IOException e) {
                // The path is valid; its narinfo is what the binary cache view misses until written again.
                LOG.log(Level.WARNING, "writing the narinfo of " + c.info().path().baseName() + " failed", e);
            }
        });
    }

    /** {@code each} of {@code items}, {@code width} at a time; the first failure is thrown once all ended. */
    private static <T> void inParallel(Collection<T> items, int width, java.util.function.Consumer<T> each) {
        Semaphore slots = new Semaphore(width);
        List<Future<?>> all = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (T item : items) {
                all.add(threads.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        each.accept(item);
                    } finally {
                        slots.release();
                    }
                }));
            }
        }
        for (Future<?> f : all) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new StoreException(e.getCause().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted");
            }
        }
    }

    /** How long each step of a job took, for its log line. */
    private static final class Phases {
        private final StringBuilder text = new StringBuilder();
        private long start = System.nanoTime();

        synchronized void end(String name) {
            long now = System.nanoTime();
            text.append(text.isEmpty() ? "" : ", ").append(name).append(' ').append((now - start) / 1_000_000).append(" ms");
            start = now;
        }

        @Override
        public synchronized String toString() {
            return text.toString();
        }
    }
}
