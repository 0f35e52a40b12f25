package dev.cumulus.functions;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildClaim;
import dev.cumulus.model.event.BuildEvents.BuildList;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.BuildStates;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.ListBuilds;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.AddSignatures;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.HashPartQuery;
import dev.cumulus.model.event.Requests.PageQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Requests.RegisterRealisation;
import dev.cumulus.model.event.Responses.OutputMap;
import dev.cumulus.model.event.Responses.Page;
import dev.cumulus.model.event.Responses.PathAnswer;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.Responses.Paths;
import dev.cumulus.model.event.Responses.RealisationAnswer;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.Responses.SignaturesAdded;
import dev.cumulus.model.event.Responses.Validity;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.AddTempRoots;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionReport;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.Collections;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import dev.cumulus.model.event.RootEvents.QueryCollections;
import dev.cumulus.model.event.RootEvents.QueryDeletions;
import dev.cumulus.model.event.RootEvents.ReleaseTempRoots;
import dev.cumulus.model.event.RootEvents.RemoveRoot;
import dev.cumulus.model.event.RootEvents.Roots;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every store function as a plain method from its request event to its response event. The Lambda
 * handlers and the in-process invoker both call these; all logic is below them.
 */
public final class StoreFunctions {
    private final StoreDir storeDir;
    private final StoreTables tables;
    private final PathQueries queries;
    private final PathRegistration registration;
    private final Realisations realisations;
    private final Substitution substitution;
    private final Builds builds;
    private final BuildGraph graph;
    private final GcRoots roots;
    private final GarbageCollector collector;
    private final StoreVerifier verifier;
    private final Metrics metrics;
    private final Clock clock;

    public StoreFunctions(StoreTables tables, Bucket bucket, FunctionsConfig config, StoreQueues queues, Clock clock) {
        this(tables, bucket, config, queues, clock, Metrics.NONE);
    }

    /** The functions, reporting what they do to {@code metrics}. */
    public StoreFunctions(StoreTables tables, Bucket bucket, FunctionsConfig config, StoreQueues queues, Clock clock,
                          Metrics metrics) {
        this.metrics = metrics;
        this.clock = clock;
        this.storeDir = config.storeDir();
        this.tables = tables;
        StoredDerivations derivations = new StoredDerivations(tables, bucket, storeDir);
        this.queries = new PathQueries(tables, storeDir, derivations);
        this.registration = new PathRegistration(tables, bucket, config, clock);
        this.realisations = new Realisations(tables, config);
        this.substitution = new Substitution(tables, bucket, Substituters.of(config.substituters(), config.trustedKeys(),
                storeDir, config.stalledDownload()), registration, realisations, config, queues.substitutions(),
                config.narCompression(), clock, metrics);
        this.builds = new Builds(tables, config, registration, queues.builds(), clock, metrics);
        this.graph = new BuildGraph(tables, storeDir, queries, derivations, builds, substitution, queues.announcements(), clock);
        this.roots = new GcRoots(tables, storeDir, clock);
        this.collector = new GarbageCollector(tables, bucket, storeDir, config.gcGraceSeconds(), clock,
                queues.collectionSteps(), metrics);
        this.verifier = new StoreVerifier(tables, bucket, storeDir, substitution);
    }

    /**
     * The functions over the tables, bucket and queues of {@code config}'s installation, on the
     * system clock, reporting to {@code metrics}; ended build submissions are announced on the event
     * bus {@code CUMULUS_EVENT_BUS} of {@code env} too, when it names one.
     */
    public static StoreFunctions of(AwsClients clients, FunctionsConfig config, Map<String, String> env, Metrics metrics) {
        StoreQueues queues = StoreQueues.of(clients.sqs(), config.resourcePrefix());
        String bus = env.getOrDefault("CUMULUS_EVENT_BUS", "");
        if (!bus.isBlank()) {
            queues = queues.announcingOn(dev.cumulus.aws.EventBus.of(clients, bus, env));
        }
        return new StoreFunctions(StoreTables.of(clients.dynamoDb(), config.resourcePrefix(), config.storeDir()),
                new S3Bucket(clients.s3(), CloudResources.STORE_BUCKET.physicalName(config.resourcePrefix())), config,
                queues, Clock.systemUTC(), metrics);
    }

    public static StoreFunctions of(AwsClients clients, FunctionsConfig config) {
        return of(clients, config, Map.of(), Metrics.NONE);
    }

    /** Where the functions report what they do. */
    public Metrics metrics() {
        return metrics;
    }

    public Validity isValidPath(PathQuery q) {
        return new Validity(queries.isValid(path(q.path())));
    }

    public Paths queryValidPaths(PathsQuery q) {
        return paths(queries.validPaths(PathQueries.parseAll(storeDir, q.paths())));
    }

    public PathInfoAnswer queryPathInfo(PathQuery q) {
        return queries.pathInfo(path(q.path()))
                .map(s -> new PathInfoAnswer(PathInfoEvent.of(storeDir, s.info()), s.nar().orElse(null)))
                .orElse(new PathInfoAnswer(null, null));
    }

    public PathAnswer queryPathFromHashPart(HashPartQuery q) {
        if (q.hashPart() == null) {
            throw new StoreException("'hashPart' is missing");
        }
        return new PathAnswer(queries.pathFromHashPart(q.hashPart()).map(storeDir::print).orElse(null));
    }

    public Paths queryReferrers(PathQuery q) {
        return paths(queries.referrers(path(q.path())));
    }

    public Paths queryValidDerivers(PathQuery q) {
        return paths(queries.validDerivers(path(q.path())));
    }

    public OutputMap queryDerivationOutputMap(PathQuery q) {
        Map<String, String> out = new LinkedHashMap<>();
        queries.derivationOutputMap(path(q.path())).forEach((name, p) -> out.put(name, p.map(storeDir::print).orElse(null)));
        return new OutputMap(out);
    }

    public Page queryAllValidPaths(PageQuery q) {
        PathInfoTable.Page page = queries.allValidPaths(Optional.ofNullable(q.after()), q.limit() == 0 ? 1000 : q.limit());
        return new Page(page.paths().stream().map(storeDir::print).toList(), page.next().orElse(null));
    }

    public Paths querySubstitutablePaths(PathsQuery q) {
        return paths(substitution.substitutable(PathQueries.parseAll(storeDir, q.paths())));
    }

    public SubmissionState submitGraph(SubmitGraph s) {
        return graph.submit(s);
    }

    public MessagesHandled submitGraphs(QueueMessages m) {
        return graph.submitAll(m);
    }

    public SubmissionState querySubmission(SubmissionQuery q) {
        return graph.query(q);
    }

    public SubmissionState abandonSubmission(AbandonSubmission a) {
        return graph.abandon(a);
    }

    public SubstitutableInfos querySubstitutablePathInfos(QuerySubstitutableInfos q) {
        return substitution.infos(PathQueries.parseAll(storeDir, q.paths()), q.closure());
    }

    public SubstitutionState substitutePaths(SubstitutePaths s) {
        return substitution.submit(s);
    }

    public SubstitutionState querySubstitution(QuerySubstitution q) {
        return substitution.query(q);
    }

    public MessagesHandled substitute(QueueMessages m) {
        return substitution.handle(m);
    }

    public RealisationAnswer registerDrvOutput(RegisterRealisation r) {
        if (r.realisation() == null) {
            throw new StoreException("'realisation' is missing");
        }
        return new RealisationAnswer(realisations.register(r.trusted(), Realisation.fromJson(r.realisation())).toJson());
    }

    public RealisationAnswer queryRealisation(DrvOutputQuery q) {
        if (q.id() == null) {
            throw new StoreException("'id' is missing");
        }
        return new RealisationAnswer(queries.realisation(q.id()).map(Realisation::toJson).orElse(null));
    }

    public SignaturesAdded addSignatures(AddSignatures a) {
        StorePath p = path(a.path());
        List<Signature> sigs = a.signatures().stream().map(Signature::parse).toList();
        return new SignaturesAdded(tables.paths().addSignatures(p, sigs)
                .orElseThrow(() -> new StoreException("path '" + storeDir.print(p) + "' is not valid")));
    }

    public Registered registerPaths(RegisterPaths r) {
        List<PathRegistration.Candidate> batch = r.paths().stream().map(p -> PathRegistration.Candidate.of(storeDir, p)).toList();
        PathRegistration.Result result = registration.register(r.trusted(), r.checkSigs(), batch,
                Optional.ofNullable(r.tempRootsOf()), List.of(), r.writtenSince() == null ? -1 : r.writtenSince());
        metrics.count(StoreMetrics.UPLOADED_PATHS, result.stored().size());
        metrics.count(StoreMetrics.UPLOADED_BYTES, result.storedNarBytes());
        return new Registered(result.registered().stream().map(storeDir::print).toList(),
                result.alreadyValid().stream().map(storeDir::print).toList(),
                result.stored().stream().map(i -> PathInfoEvent.of(storeDir, i)).toList());
    }

    public BuildState submitBuild(SubmitBuild s) {
        return builds.submit(s);
    }

    public BuildState queryBuild(BuildQuery q) {
        return builds.query(q);
    }

    public BuildStates queryBuilds(BuildsQuery q) {
        return builds.queryAll(q);
    }

    public BuildClaim buildStarted(BuildStarted s) {
        return builds.started(s);
    }

    public BuildClaim appendBuildLog(BuildLog l) {
        return builds.log(l);
    }

    public BuildState completeBuild(CompleteBuild c) {
        return builds.complete(c);
    }

    public BuildState failBuild(FailBuild f) {
        return builds.fail(f);
    }

    public BuildState abandonBuild(AbandonBuild a) {
        return builds.abandon(a);
    }

    public MessagesHandled failDeadLetteredBuilds(QueueMessages d) {
        return builds.failDeadLettered(d);
    }

    public BuildList listBuilds(ListBuilds l) {
        return builds.list(l);
    }

    public Roots addTempRoots(AddTempRoots a) {
        return roots.addTempRoots(a);
    }

    public Roots releaseTempRoots(ReleaseTempRoots r) {
        return roots.releaseTempRoots(r.session());
    }

    public Roots addRoot(AddRoot a) {
        return roots.addRoot(a);
    }

    public Roots removeRoot(RemoveRoot r) {
        return roots.removeRoot(r.name());
    }

    public Roots listRoots(ListRoots l) {
        return roots.list();
    }

    /** Starts a collection; its steps run in {@link #collectionSteps}, {@link #queryCollection} follows it. */
    public CollectionState collectGarbage(CollectGarbage c) {
        return collector.start(c);
    }

    /** The collection-steps function: the steps of running collections (each reports its runs' metrics). */
    public MessagesHandled collectionSteps(QueueMessages messages) {
        return collector.handle(messages);
    }

    public CollectionReport queryCollection(QueryCollection q) {
        return collector.report(q);
    }

    public Deletions queryDeletions(QueryDeletions q) {
        return collector.deletions();
    }

    public Collections queryCollections(QueryCollections q) {
        return new Collections(tables.roots().collections());
    }

    public StoreVerified verifyStore(VerifyStore v) {
        return verifier.verify(v.checkContents(), v.repair(), PathQueries.parseAll(storeDir, v.paths()), v.segment(),
                v.segments());
    }

    private StorePath path(String printed) {
        if (printed == null) {
            throw new StoreException("'path' is missing");
        }
        return storeDir.parse(printed);
    }

    private Paths paths(List<StorePath> list) {
        return new Paths(list.stream().map(storeDir::print).toList());
    }
}
