package dev.cumulus.model.resources;

import static dev.cumulus.model.resources.TableSpec.string;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Every table, queue and bucket of one Cumulus installation. The local stack and the CDK app both
 * create exactly these; functions/README.md explains each table's items and access patterns.
 */
public final class CloudResources {
    private CloudResources() {}

    /** The default prefix of physical names: {@code cumulus-paths}, {@code cumulus-store}, … */
    public static final String DEFAULT_PREFIX = "cumulus-";
    /** The store's signing key's name unless configured otherwise (in narinfo signatures: {@code cumulus-1:…}). */
    public static final String DEFAULT_SIGNING_KEY_NAME = "cumulus-1";

    /**
     * One item per valid store path, keyed by its hash part. The index lists the paths registered
     * on a day (UTC, {@code registeredDay}), newest first: the dashboard's recent uploads.
     */
    public static final TableSpec PATHS = new TableSpec("paths", string("hashPart"), Optional.empty(),
            List.of(new TableSpec.Index("by-registration", string("registeredDay"), Optional.of(TableSpec.number("registrationTime")))),
            Optional.empty());

    /**
     * The store's totals (valid paths and their NAR bytes) as counters, spread over a few items so
     * that concurrent registrations do not all write one item: the dashboard sums them.
     */
    public static final TableSpec STORE_STATS = new TableSpec("store-stats", string("id"), Optional.empty(), List.of(),
            Optional.empty());

    /** One item per reference edge, keyed by the referenced path: QueryReferrers is one Query. */
    public static final TableSpec REFERRERS = new TableSpec("referrers", string("path"), Optional.of(string("referrer")),
            List.of(), Optional.empty());

    /**
     * One item per output of a derivation in the store; {@code path} is absent for floating outputs.
     * The index answers QueryValidDerivers.
     */
    public static final TableSpec DERIVATION_OUTPUTS = new TableSpec("derivation-outputs", string("drv"),
            Optional.of(string("output")),
            List.of(new TableSpec.Index("by-path", string("path"), Optional.of(string("drv")))), Optional.empty());

    /** One item per realisation id, in whichever form it was registered. */
    public static final TableSpec REALISATIONS = new TableSpec("realisations", string("id"), Optional.empty(), List.of(),
            Optional.empty());

    /**
     * GC roots by owner: {@code named} holds the named roots, {@code session#<id>} a connection's
     * temporary roots (an item a call, its paths a string set) and its lease. A lease that is not renewed expires (and TTL removes the items).
     */
    public static final TableSpec GC_ROOTS = new TableSpec("gc-roots", string("owner"), Optional.of(string("root")),
            List.of(), Optional.of("expiresAt"));

    /**
     * One item per build request (its id is the hash of the request, so identical outstanding
     * requests are one build): its derivation, state, attempts and outcome. Finished builds expire.
     * Its indexes list the builds in one state (queued, running, built, failed) and the builds of one
     * derivation, newest first.
     */
    public static final TableSpec BUILDS = new TableSpec("builds", string("id"), Optional.empty(),
            List.of(new TableSpec.Index("by-state", string("state"), Optional.of(TableSpec.number("submittedAt"))),
                    new TableSpec.Index("by-drv", string("drvPath"), Optional.of(TableSpec.number("submittedAt")))),
            Optional.of("expiresAt"));

    /** A build's log as runners send it, a chunk of lines per item in order; expires with the build. */
    public static final TableSpec BUILD_LOGS = new TableSpec("build-logs", string("build"),
            Optional.of(TableSpec.number("seq")), List.of(), Optional.of("expiresAt"));

    /**
     * Substitutions from upstream caches: one item per job ({@code job#<id>}: its state and what failed)
     * and one per path being fetched ({@code path#<hash part>}: which job fetches it, until when), so
     * a path asked for by many is fetched once. Items expire.
     */
    public static final TableSpec SUBSTITUTIONS = new TableSpec("substitutions", string("id"), Optional.empty(), List.of(),
            Optional.of("expiresAt"));

    /**
     * Build graphs: one item per submission ({@code submission#<id>}) and one per step, a derivation
     * to build or outputs to fetch ({@code step#<drv base name>}), shared by every submission that
     * needs it: its state, how many of its inputs are not built yet, the steps waiting for it.
     */
    public static final TableSpec BUILD_GRAPH = new TableSpec("build-graph", string("id"), Optional.empty(), List.of(),
            Optional.of("expiresAt"));

    public static final List<TableSpec> TABLES = List.of(PATHS, REFERRERS, DERIVATION_OUTPUTS, REALISATIONS, GC_ROOTS,
            BUILDS, BUILD_LOGS, SUBSTITUTIONS, BUILD_GRAPH, STORE_STATS);

    /** Build requests that failed their pool queue's receive count land here, whichever pool. */
    public static final QueueSpec BUILD_REQUESTS_DEAD = new QueueSpec("build-requests-dead", Duration.ofMinutes(5),
            Duration.ofDays(14), Optional.empty(), 0);

    /** How many times runners may take a build request before it is dead-lettered. */
    public static final int BUILD_REQUEST_RECEIVES = 3;

    /**
     * Generic build requests for the build-runners of pool {@code pool} that a connected client waits
     * for; batch builds (from events) have their own queue, {@link #batchBuildRequests}, which the
     * pool's runners take from only when this one is empty. A runner
     * keeps its message hidden while it builds (extending the visibility timeout as it goes), so a
     * runner that dies lets the message reappear within a minute; after {@link #BUILD_REQUEST_RECEIVES}
     * receives it goes to {@link #BUILD_REQUESTS_DEAD}. Runners report results by calling the
     * complete-build function.
     */
    public static QueueSpec buildRequests(String pool) {
        return buildQueue("build-requests-" + pool);
    }

    /** Substitution jobs that failed {@link #SUBSTITUTION_JOBS}'s receive count land here. */
    public static final QueueSpec SUBSTITUTION_JOBS_DEAD = new QueueSpec("substitution-jobs-dead", Duration.ofMinutes(5),
            Duration.ofDays(14), Optional.empty(), 0);

    /**
     * Substitution jobs for the substitute function. Its visibility timeout exceeds the function's
     * 15 minutes, as an SQS event source mapping requires; a job whose function died comes back then.
     */
    public static final QueueSpec SUBSTITUTION_JOBS = new QueueSpec("substitution-jobs", Duration.ofMinutes(16),
            Duration.ofDays(1), Optional.of(SUBSTITUTION_JOBS_DEAD.name()), 3);

    /** Build submissions that failed {@link #BUILD_SUBMISSIONS}' receive count land here. */
    public static final QueueSpec BUILD_SUBMISSIONS_DEAD = new QueueSpec("build-submissions-dead", Duration.ofMinutes(5),
            Duration.ofDays(14), Optional.empty(), 0);

    /**
     * Build submissions from events: {@code {"drvPath": "/nix/store/…drv", "outputs": ["out"] | ["*"]}}
     * (and an optional {@code id}), taken by the submit-graphs function.
     */
    public static final QueueSpec BUILD_SUBMISSIONS = new QueueSpec("build-submissions", Duration.ofMinutes(16),
            Duration.ofDays(4), Optional.of(BUILD_SUBMISSIONS_DEAD.name()), 3);

    /** Collection steps that failed {@link #COLLECTION_STEPS}' receive count land here (their collection's lease runs out). */
    public static final QueueSpec COLLECTION_STEPS_DEAD = new QueueSpec("collection-steps-dead", Duration.ofMinutes(5),
            Duration.ofDays(14), Optional.empty(), 0);

    /**
     * The steps of running garbage collections ({@code CollectionStep}), taken by the collection-steps
     * function one at a time. Its visibility timeout exceeds the function's 15 minutes: a step whose
     * invocation died or was cut off comes back then and runs again (every step may run twice).
     */
    public static final QueueSpec COLLECTION_STEPS = new QueueSpec("collection-steps", Duration.ofMinutes(16),
            Duration.ofDays(1), Optional.of(COLLECTION_STEPS_DEAD.name()), 5);

    /** One message per submission when it ends ({@code BuildFinished}), for pipelines to react to. */
    public static final QueueSpec BUILD_EVENTS = new QueueSpec("build-events", Duration.ofSeconds(30),
            Duration.ofDays(4), Optional.empty(), 0);

    /** Build requests of pool {@code pool} that no client waits for (event-triggered graphs), as {@link #buildRequests}. */
    public static QueueSpec batchBuildRequests(String pool) {
        return buildQueue("build-batch-" + pool);
    }

    /** A pool's build queue: a minute's lease (runners extend it), kept four days, dead-lettered. */
    private static QueueSpec buildQueue(String name) {
        return new QueueSpec(name, Duration.ofMinutes(1), Duration.ofDays(4), Optional.of(BUILD_REQUESTS_DEAD.name()),
                BUILD_REQUEST_RECEIVES);
    }

    /**
     * Every queue of an installation whose runner pools are {@code pools}: dead-letter queues first,
     * so that a queue's redrive target exists when it is created.
     */
    public static List<QueueSpec> queues(List<String> pools) {
        List<QueueSpec> out = new java.util.ArrayList<>(List.of(BUILD_REQUESTS_DEAD));
        pools.forEach(p -> out.addAll(List.of(buildRequests(p), batchBuildRequests(p))));
        out.addAll(List.of(SUBSTITUTION_JOBS_DEAD, SUBSTITUTION_JOBS, BUILD_SUBMISSIONS_DEAD, BUILD_SUBMISSIONS, BUILD_EVENTS,
                COLLECTION_STEPS_DEAD, COLLECTION_STEPS));
        return List.copyOf(out);
    }

    /** NARs, narinfos, realisations and build logs: the store's data, written only by Cumulus. */
    public static final BucketSpec STORE_BUCKET = new BucketSpec("store", 1);

    /**
     * Where binary-cache uploads land ({@code nix copy --to s3://…} or {@code http://…}): the ingest
     * checks each narinfo and realisation and copies what it accepts into the store bucket, so no
     * upload can replace what the store serves. Objects expire after {@link #UPLOADS_EXPIRE_AFTER_DAYS}.
     */
    public static final BucketSpec UPLOADS_BUCKET = new BucketSpec("uploads", 1);

    public static final int UPLOADS_EXPIRE_AFTER_DAYS = 1;
}
