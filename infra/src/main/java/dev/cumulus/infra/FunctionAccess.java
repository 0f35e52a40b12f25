package dev.cumulus.infra;

import static dev.cumulus.model.resources.CloudResources.BUILDS;
import static dev.cumulus.model.resources.CloudResources.BUILD_GRAPH;
import static dev.cumulus.model.resources.CloudResources.BUILD_LOGS;
import static dev.cumulus.model.resources.CloudResources.DERIVATION_OUTPUTS;
import static dev.cumulus.model.resources.CloudResources.GC_ROOTS;
import static dev.cumulus.model.resources.CloudResources.PATHS;
import static dev.cumulus.model.resources.CloudResources.REALISATIONS;
import static dev.cumulus.model.resources.CloudResources.REFERRERS;
import static dev.cumulus.model.resources.CloudResources.STORE_STATS;
import static dev.cumulus.model.resources.CloudResources.SUBSTITUTIONS;

import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.resources.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each function may touch, and nothing more: read or read-write per table, the bucket, the
 * queues it sends to, and the store's signing key. Read off the code in functions-core: a function
 * that starts using another table needs its line here changed, or it fails in AWS with AccessDenied
 * (the local stack checks no permissions).
 *
 * @param bucket what the function does with the store bucket
 * @param sendsTo the queues the function sends messages to
 * @param signs whether it reads the store's signing key (to sign what it makes valid)
 * @param readsSubstituters whether it reads the substituters (those in S3 need a grant)
 * @param announces whether it puts events on the event bus (a build submission's end)
 */
public record FunctionAccess(Map<TableSpec, Level> tables, BucketLevel bucket, List<QueueSpec> sendsTo, boolean signs,
                             boolean readsSubstituters, boolean announces) {
    public FunctionAccess {
        sendsTo = List.copyOf(sendsTo);
    }

    public FunctionAccess(Map<TableSpec, Level> tables, BucketLevel bucket) {
        this(tables, bucket, List.of(), false, false, false);
    }

    public FunctionAccess(Map<TableSpec, Level> tables, BucketLevel bucket, List<QueueSpec> sendsTo, boolean signs,
                          boolean readsSubstituters) {
        this(tables, bucket, sendsTo, signs, readsSubstituters, false);
    }

    /** Stands for every runner pool's build queues in {@link #sendsTo} (the pools are the installation's). */
    public static final QueueSpec RUNNER_POOL_QUEUES = new QueueSpec("build-requests-and-batch-of-every-pool",
            java.time.Duration.ZERO, java.time.Duration.ZERO, java.util.Optional.empty(), 0);

    /** What moving a build graph on needs: where builds and substitutions end, the graph goes on. */
    private static final FunctionAccess GRAPH = new FunctionAccess(Map.of(CloudResources.BUILD_GRAPH, Level.READ_WRITE,
            PATHS, Level.READ_WRITE, BUILDS, Level.READ_WRITE, DERIVATION_OUTPUTS, Level.READ, REALISATIONS, Level.READ,
            SUBSTITUTIONS, Level.READ_WRITE), BucketLevel.READ, List.of(RUNNER_POOL_QUEUES,
            CloudResources.SUBSTITUTION_JOBS, CloudResources.BUILD_EVENTS), false, true, true);

    /** This access and {@link #GRAPH}'s together. */
    private FunctionAccess movingGraphs() {
        Map<TableSpec, Level> t = new LinkedHashMap<>(tables);
        GRAPH.tables.forEach((table, level) -> t.merge(table, level, (a, b) -> a == Level.READ_WRITE || b == Level.READ_WRITE
                ? Level.READ_WRITE : Level.READ));
        List<QueueSpec> q = new java.util.ArrayList<>(sendsTo);
        GRAPH.sendsTo.stream().filter(x -> !q.contains(x)).forEach(q::add);
        BucketLevel b = bucket.ordinal() >= GRAPH.bucket.ordinal() ? bucket : GRAPH.bucket;
        return new FunctionAccess(t, b, q, signs, true, true);
    }

    public enum Level { READ, READ_WRITE }

    public enum BucketLevel { NONE, READ, READ_WRITE_DELETE }

    /**
     * Registering paths (uploads, build outputs, binary-cache uploads): edges, derivation outputs,
     * temporary roots and the bucket sweep's fence (gc-roots), the store's totals.
     */
    private static final Map<TableSpec, Level> REGISTRATION = Map.of(PATHS, Level.READ_WRITE, REFERRERS, Level.READ_WRITE,
            DERIVATION_OUTPUTS, Level.READ_WRITE, GC_ROOTS, Level.READ_WRITE, STORE_STATS, Level.READ_WRITE);

    /** The name of the function that ingests binary-cache uploads to the bucket (not a {@link StoreFunction}). */
    public static final String BINARY_CACHE_INGEST = "binary-cache-ingest";

    /** The name of the function that serves the dashboard behind its function URL (not a {@link StoreFunction}). */
    public static final String DASHBOARD = "dashboard";

    /** The functions that are not {@link StoreFunction}s: they answer S3 notifications and HTTP. */
    public static final List<String> OTHER_FUNCTIONS = List.of(BINARY_CACHE_INGEST, DASHBOARD);

    public static final Map<String, FunctionAccess> BY_FUNCTION = byFunction();

    private static Map<String, FunctionAccess> byFunction() {
        Map<String, FunctionAccess> m = new LinkedHashMap<>();
        m.put(StoreFunction.IS_VALID_PATH.name(), reads(PATHS));
        m.put(StoreFunction.QUERY_VALID_PATHS.name(), reads(PATHS));
        m.put(StoreFunction.QUERY_PATH_INFO.name(), reads(PATHS));
        m.put(StoreFunction.QUERY_PATH_FROM_HASH_PART.name(), reads(PATHS));
        m.put(StoreFunction.QUERY_REFERRERS.name(), reads(PATHS, REFERRERS));
        m.put(StoreFunction.QUERY_VALID_DERIVERS.name(), reads(PATHS, DERIVATION_OUTPUTS));
        m.put(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP.name(), reads(PATHS, DERIVATION_OUTPUTS, REALISATIONS));
        m.put(StoreFunction.QUERY_ALL_VALID_PATHS.name(), reads(PATHS));
        FunctionAccess upstream = new FunctionAccess(Map.of(), BucketLevel.NONE, List.of(), false, true);
        m.put(StoreFunction.QUERY_SUBSTITUTABLE_PATHS.name(), upstream);
        m.put(StoreFunction.QUERY_SUBSTITUTABLE_PATH_INFOS.name(), upstream);
        m.put(StoreFunction.SUBSTITUTE_PATHS.name(), new FunctionAccess(Map.of(PATHS, Level.READ, SUBSTITUTIONS, Level.READ_WRITE),
                BucketLevel.NONE, List.of(CloudResources.SUBSTITUTION_JOBS), false, false));
        m.put(StoreFunction.QUERY_SUBSTITUTION.name(), reads(SUBSTITUTIONS));
        Map<TableSpec, Level> substitute = new LinkedHashMap<>(REGISTRATION);
        substitute.put(REALISATIONS, Level.READ_WRITE);
        substitute.put(SUBSTITUTIONS, Level.READ_WRITE);
        m.put(StoreFunction.SUBSTITUTE.name(), new FunctionAccess(substitute, BucketLevel.READ_WRITE_DELETE, List.of(), true, true));
        m.put(StoreFunction.REGISTER_DRV_OUTPUT.name(),
                new FunctionAccess(Map.of(PATHS, Level.READ, REALISATIONS, Level.READ_WRITE), BucketLevel.NONE));
        m.put(StoreFunction.QUERY_REALISATION.name(), reads(REALISATIONS));
        m.put(StoreFunction.ADD_SIGNATURES.name(), writes(PATHS));
        // The bucket, read: a registration that a sweep of the bucket overlapped looks for its NAR files.
        m.put(StoreFunction.REGISTER_PATHS.name(), new FunctionAccess(REGISTRATION, BucketLevel.READ));

        m.put(StoreFunction.SUBMIT_BUILD.name(),
                new FunctionAccess(Map.of(BUILDS, Level.READ_WRITE, PATHS, Level.READ_WRITE), BucketLevel.NONE,
                        List.of(RUNNER_POOL_QUEUES), false, false));
        m.put(StoreFunction.QUERY_BUILD.name(), reads(BUILDS, BUILD_LOGS));
        m.put(StoreFunction.QUERY_BUILDS.name(), reads(BUILDS, BUILD_LOGS));
        m.put(StoreFunction.BUILD_STARTED.name(), writes(BUILDS));
        m.put(StoreFunction.APPEND_BUILD_LOG.name(),
                new FunctionAccess(Map.of(BUILDS, Level.READ, BUILD_LOGS, Level.READ_WRITE), BucketLevel.NONE));
        Map<TableSpec, Level> completion = new LinkedHashMap<>(REGISTRATION);
        completion.put(BUILDS, Level.READ_WRITE);
        completion.put(REALISATIONS, Level.READ_WRITE);
        m.put(StoreFunction.COMPLETE_BUILD.name(), new FunctionAccess(completion, BucketLevel.NONE));
        m.put(StoreFunction.FAIL_BUILD.name(), writes(BUILDS));
        m.put(StoreFunction.ABANDON_BUILD.name(), writes(BUILDS));
        m.put(StoreFunction.FAIL_DEAD_LETTERED_BUILDS.name(), writes(BUILDS));
        m.put(StoreFunction.LIST_BUILDS.name(), reads(BUILDS));

        // A graph's steps are builds and substitutions; its ends are announced. submit-graph walks it,
        // and the functions where builds and substitutions end move it on (complete-build, …, substitute).
        m.put(StoreFunction.SUBMIT_GRAPH.name(), GRAPH);
        m.put(StoreFunction.SUBMIT_GRAPHS.name(), GRAPH);
        m.put(StoreFunction.QUERY_SUBMISSION.name(), reads(BUILD_GRAPH));
        m.put(StoreFunction.ABANDON_SUBMISSION.name(), GRAPH);
        for (StoreFunction<?, ?> ending : List.of(StoreFunction.COMPLETE_BUILD, StoreFunction.FAIL_BUILD,
                StoreFunction.ABANDON_BUILD, StoreFunction.FAIL_DEAD_LETTERED_BUILDS, StoreFunction.SUBMIT_BUILD,
                StoreFunction.SUBSTITUTE)) {
            m.put(ending.name(), m.get(ending.name()).movingGraphs());
        }

        m.put(StoreFunction.ADD_TEMP_ROOTS.name(), writes(GC_ROOTS, PATHS));
        m.put(StoreFunction.RELEASE_TEMP_ROOTS.name(), writes(GC_ROOTS));
        m.put(StoreFunction.ADD_ROOT.name(), writes(GC_ROOTS, PATHS));
        m.put(StoreFunction.REMOVE_ROOT.name(), writes(GC_ROOTS));
        m.put(StoreFunction.LIST_ROOTS.name(), reads(GC_ROOTS));
        // collect-garbage records a collection and queues its scan; collection-steps does the rest,
        // handing its results on through the bucket; query-collection reads both.
        m.put(StoreFunction.COLLECT_GARBAGE.name(), new FunctionAccess(Map.of(GC_ROOTS, Level.READ_WRITE,
                STORE_STATS, Level.READ), BucketLevel.READ_WRITE_DELETE, List.of(CloudResources.COLLECTION_STEPS), false, false));
        m.put(StoreFunction.COLLECTION_STEPS.name(), new FunctionAccess(Map.of(PATHS, Level.READ_WRITE,
                REFERRERS, Level.READ_WRITE, DERIVATION_OUTPUTS, Level.READ_WRITE, REALISATIONS, Level.READ_WRITE,
                GC_ROOTS, Level.READ_WRITE, BUILDS, Level.READ, STORE_STATS, Level.READ_WRITE), BucketLevel.READ_WRITE_DELETE,
                List.of(CloudResources.COLLECTION_STEPS), false, false));
        m.put(StoreFunction.QUERY_COLLECTION.name(), new FunctionAccess(Map.of(GC_ROOTS, Level.READ), BucketLevel.READ));
        m.put(StoreFunction.QUERY_DELETIONS.name(), reads(GC_ROOTS));
        m.put(StoreFunction.QUERY_COLLECTIONS.name(), reads(GC_ROOTS));
        m.put(StoreFunction.VERIFY_STORE.name(), new FunctionAccess(Map.of(PATHS, Level.READ), BucketLevel.READ));

        Map<TableSpec, Level> ingest = new LinkedHashMap<>(REGISTRATION);
        ingest.put(REALISATIONS, Level.READ_WRITE);
        m.put(BINARY_CACHE_INGEST, new FunctionAccess(ingest, BucketLevel.READ_WRITE_DELETE));
        // Reads only, and only by key or index: its pages never scan.
        m.put(DASHBOARD, new FunctionAccess(reads(PATHS, REFERRERS, DERIVATION_OUTPUTS, REALISATIONS, GC_ROOTS, BUILDS,
                BUILD_LOGS, STORE_STATS).tables(), BucketLevel.READ));
        return m;
    }

    private static FunctionAccess reads(TableSpec... tables) {
        return tables(Level.READ, tables);
    }

    private static FunctionAccess writes(TableSpec... tables) {
        return tables(Level.READ_WRITE, tables);
    }

    /** {@code level} on each of {@code tables}, nothing else. */
    private static FunctionAccess tables(Level level, TableSpec... tables) {
        Map<TableSpec, Level> m = new LinkedHashMap<>();
        for (TableSpec t : tables) {
            m.put(t, level);
        }
        return new FunctionAccess(m, BucketLevel.NONE);
    }

    /** The functions the protocol proxy calls (its task role may invoke these and no others). */
    public static final List<StoreFunction<?, ?>> CALLED_BY_PROXY = List.of(
            StoreFunction.QUERY_VALID_PATHS, StoreFunction.QUERY_PATH_INFO, StoreFunction.QUERY_PATH_FROM_HASH_PART,
            StoreFunction.QUERY_REFERRERS, StoreFunction.QUERY_VALID_DERIVERS, StoreFunction.QUERY_DERIVATION_OUTPUT_MAP,
            StoreFunction.QUERY_ALL_VALID_PATHS, StoreFunction.QUERY_SUBSTITUTABLE_PATHS,
            StoreFunction.QUERY_SUBSTITUTABLE_PATH_INFOS, StoreFunction.SUBSTITUTE_PATHS, StoreFunction.QUERY_SUBSTITUTION,
            StoreFunction.REGISTER_DRV_OUTPUT,
            StoreFunction.QUERY_REALISATION, StoreFunction.ADD_SIGNATURES, StoreFunction.REGISTER_PATHS,
            StoreFunction.SUBMIT_BUILD, StoreFunction.QUERY_BUILD, StoreFunction.QUERY_BUILDS, StoreFunction.ABANDON_BUILD, StoreFunction.ADD_TEMP_ROOTS,
            StoreFunction.RELEASE_TEMP_ROOTS, StoreFunction.ADD_ROOT, StoreFunction.LIST_ROOTS,
            StoreFunction.COLLECT_GARBAGE, StoreFunction.QUERY_COLLECTION, StoreFunction.QUERY_DELETIONS,
            StoreFunction.VERIFY_STORE);

    /** The functions a build-runner calls. */
    public static final List<StoreFunction<?, ?>> CALLED_BY_RUNNER = List.of(StoreFunction.BUILD_STARTED,
            StoreFunction.APPEND_BUILD_LOG, StoreFunction.COMPLETE_BUILD, StoreFunction.QUERY_BUILD,
            StoreFunction.QUERY_PATH_INFO);
}
