package dev.cumulus.model.event;

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
import java.util.List;

/**
 * One store function: its name (the Lambda handler's {@code @Named}, and the deployed function's
 * suffix) and the JSON types it takes and gives.
 */
public record StoreFunction<Q, R>(String name, Class<Q> request, Class<R> response) {

    public static final StoreFunction<PathQuery, Validity> IS_VALID_PATH =
            new StoreFunction<>("is-valid-path", PathQuery.class, Validity.class);
    public static final StoreFunction<PathsQuery, Paths> QUERY_VALID_PATHS =
            new StoreFunction<>("query-valid-paths", PathsQuery.class, Paths.class);
    public static final StoreFunction<PathQuery, PathInfoAnswer> QUERY_PATH_INFO =
            new StoreFunction<>("query-path-info", PathQuery.class, PathInfoAnswer.class);
    public static final StoreFunction<HashPartQuery, PathAnswer> QUERY_PATH_FROM_HASH_PART =
            new StoreFunction<>("query-path-from-hash-part", HashPartQuery.class, PathAnswer.class);
    public static final StoreFunction<PathQuery, Paths> QUERY_REFERRERS =
            new StoreFunction<>("query-referrers", PathQuery.class, Paths.class);
    public static final StoreFunction<PathQuery, Paths> QUERY_VALID_DERIVERS =
            new StoreFunction<>("query-valid-derivers", PathQuery.class, Paths.class);
    public static final StoreFunction<PathQuery, OutputMap> QUERY_DERIVATION_OUTPUT_MAP =
            new StoreFunction<>("query-derivation-output-map", PathQuery.class, OutputMap.class);
    public static final StoreFunction<PageQuery, Page> QUERY_ALL_VALID_PATHS =
            new StoreFunction<>("query-all-valid-paths", PageQuery.class, Page.class);
    public static final StoreFunction<PathsQuery, Paths> QUERY_SUBSTITUTABLE_PATHS =
            new StoreFunction<>("query-substitutable-paths", PathsQuery.class, Paths.class);
    public static final StoreFunction<RegisterRealisation, RealisationAnswer> REGISTER_DRV_OUTPUT =
            new StoreFunction<>("register-drv-output", RegisterRealisation.class, RealisationAnswer.class);
    public static final StoreFunction<DrvOutputQuery, RealisationAnswer> QUERY_REALISATION =
            new StoreFunction<>("query-realisation", DrvOutputQuery.class, RealisationAnswer.class);
    public static final StoreFunction<AddSignatures, SignaturesAdded> ADD_SIGNATURES =
            new StoreFunction<>("add-signatures", AddSignatures.class, SignaturesAdded.class);
    public static final StoreFunction<RegisterPaths, Registered> REGISTER_PATHS =
            new StoreFunction<>("register-paths", RegisterPaths.class, Registered.class);

    public static final StoreFunction<BuildEvents.SubmitBuild, BuildEvents.BuildState> SUBMIT_BUILD =
            new StoreFunction<>("submit-build", BuildEvents.SubmitBuild.class, BuildEvents.BuildState.class);
    public static final StoreFunction<BuildEvents.BuildQuery, BuildEvents.BuildState> QUERY_BUILD =
            new StoreFunction<>("query-build", BuildEvents.BuildQuery.class, BuildEvents.BuildState.class);
    public static final StoreFunction<BuildEvents.BuildsQuery, BuildEvents.BuildStates> QUERY_BUILDS =
            new StoreFunction<>("query-builds", BuildEvents.BuildsQuery.class, BuildEvents.BuildStates.class);
    public static final StoreFunction<BuildEvents.BuildStarted, BuildEvents.BuildClaim> BUILD_STARTED =
            new StoreFunction<>("build-started", BuildEvents.BuildStarted.class, BuildEvents.BuildClaim.class);
    public static final StoreFunction<BuildEvents.BuildLog, BuildEvents.BuildClaim> APPEND_BUILD_LOG =
            new StoreFunction<>("append-build-log", BuildEvents.BuildLog.class, BuildEvents.BuildClaim.class);
    public static final StoreFunction<BuildEvents.CompleteBuild, BuildEvents.BuildState> COMPLETE_BUILD =
            new StoreFunction<>("complete-build", BuildEvents.CompleteBuild.class, BuildEvents.BuildState.class);
    public static final StoreFunction<BuildEvents.FailBuild, BuildEvents.BuildState> FAIL_BUILD =
            new StoreFunction<>("fail-build", BuildEvents.FailBuild.class, BuildEvents.BuildState.class);
    public static final StoreFunction<BuildEvents.AbandonBuild, BuildEvents.BuildState> ABANDON_BUILD =
            new StoreFunction<>("abandon-build", BuildEvents.AbandonBuild.class, BuildEvents.BuildState.class);
    public static final StoreFunction<QueueEvents.QueueMessages, QueueEvents.MessagesHandled> FAIL_DEAD_LETTERED_BUILDS =
            new StoreFunction<>("fail-dead-lettered-builds", QueueEvents.QueueMessages.class, QueueEvents.MessagesHandled.class);
    public static final StoreFunction<BuildEvents.ListBuilds, BuildEvents.BuildList> LIST_BUILDS =
            new StoreFunction<>("list-builds", BuildEvents.ListBuilds.class, BuildEvents.BuildList.class);

    public static final StoreFunction<SubstitutionEvents.QuerySubstitutableInfos, SubstitutionEvents.SubstitutableInfos>
            QUERY_SUBSTITUTABLE_PATH_INFOS = new StoreFunction<>("query-substitutable-path-infos",
                    SubstitutionEvents.QuerySubstitutableInfos.class,
                    SubstitutionEvents.SubstitutableInfos.class);
    public static final StoreFunction<SubstitutionEvents.SubstitutePaths, SubstitutionEvents.SubstitutionState> SUBSTITUTE_PATHS =
            new StoreFunction<>("substitute-paths", SubstitutionEvents.SubstitutePaths.class,
                    SubstitutionEvents.SubstitutionState.class);
    public static final StoreFunction<SubstitutionEvents.QuerySubstitution, SubstitutionEvents.SubstitutionState>
            QUERY_SUBSTITUTION = new StoreFunction<>("query-substitution", SubstitutionEvents.QuerySubstitution.class,
                    SubstitutionEvents.SubstitutionState.class);
    /** The substitutions queue's messages ({@link SubstitutionEvents.SubstitutionJob} each), run to their end. */
    public static final StoreFunction<QueueEvents.QueueMessages, QueueEvents.MessagesHandled> SUBSTITUTE =
            new StoreFunction<>("substitute", QueueEvents.QueueMessages.class, QueueEvents.MessagesHandled.class);

    public static final StoreFunction<GraphEvents.SubmitGraph, GraphEvents.SubmissionState> SUBMIT_GRAPH =
            new StoreFunction<>("submit-graph", GraphEvents.SubmitGraph.class, GraphEvents.SubmissionState.class);
    /** The build-submissions queue's messages ({@link GraphEvents.SubmitGraph} each). */
    public static final StoreFunction<QueueEvents.QueueMessages, QueueEvents.MessagesHandled> SUBMIT_GRAPHS =
            new StoreFunction<>("submit-graphs", QueueEvents.QueueMessages.class, QueueEvents.MessagesHandled.class);
    public static final StoreFunction<GraphEvents.SubmissionQuery, GraphEvents.SubmissionState> QUERY_SUBMISSION =
            new StoreFunction<>("query-submission", GraphEvents.SubmissionQuery.class, GraphEvents.SubmissionState.class);
    public static final StoreFunction<GraphEvents.AbandonSubmission, GraphEvents.SubmissionState> ABANDON_SUBMISSION =
            new StoreFunction<>("abandon-submission", GraphEvents.AbandonSubmission.class, GraphEvents.SubmissionState.class);

    public static final StoreFunction<RootEvents.AddTempRoots, RootEvents.Roots> ADD_TEMP_ROOTS =
            new StoreFunction<>("add-temp-roots", RootEvents.AddTempRoots.class, RootEvents.Roots.class);
    public static final StoreFunction<RootEvents.ReleaseTempRoots, RootEvents.Roots> RELEASE_TEMP_ROOTS =
            new StoreFunction<>("release-temp-roots", RootEvents.ReleaseTempRoots.class, RootEvents.Roots.class);
    public static final StoreFunction<RootEvents.AddRoot, RootEvents.Roots> ADD_ROOT =
            new StoreFunction<>("add-root", RootEvents.AddRoot.class, RootEvents.Roots.class);
    public static final StoreFunction<RootEvents.RemoveRoot, RootEvents.Roots> REMOVE_ROOT =
            new StoreFunction<>("remove-root", RootEvents.RemoveRoot.class, RootEvents.Roots.class);
    public static final StoreFunction<RootEvents.ListRoots, RootEvents.Roots> LIST_ROOTS =
            new StoreFunction<>("list-roots", RootEvents.ListRoots.class, RootEvents.Roots.class);
    /** Starts a collection, which runs on in {@link #COLLECTION_STEPS}; {@link GarbageCollection} follows it to its end. */
    public static final StoreFunction<RootEvents.CollectGarbage, RootEvents.CollectionState> COLLECT_GARBAGE =
            new StoreFunction<>("collect-garbage", RootEvents.CollectGarbage.class, RootEvents.CollectionState.class);
    /** The collection-steps queue's messages ({@link RootEvents.CollectionStep} each). */
    public static final StoreFunction<QueueEvents.QueueMessages, QueueEvents.MessagesHandled> COLLECTION_STEPS =
            new StoreFunction<>("collection-steps", QueueEvents.QueueMessages.class, QueueEvents.MessagesHandled.class);
    public static final StoreFunction<RootEvents.QueryCollection, RootEvents.CollectionReport> QUERY_COLLECTION =
            new StoreFunction<>("query-collection", RootEvents.QueryCollection.class, RootEvents.CollectionReport.class);
    public static final StoreFunction<RootEvents.QueryDeletions, RootEvents.Deletions> QUERY_DELETIONS =
            new StoreFunction<>("query-deletions", RootEvents.QueryDeletions.class, RootEvents.Deletions.class);
    public static final StoreFunction<RootEvents.QueryCollections, RootEvents.Collections> QUERY_COLLECTIONS =
            new StoreFunction<>("query-collections", RootEvents.QueryCollections.class, RootEvents.Collections.class);
    public static final StoreFunction<RootEvents.VerifyStore, RootEvents.StoreVerified> VERIFY_STORE =
            new StoreFunction<>("verify-store", RootEvents.VerifyStore.class, RootEvents.StoreVerified.class);

    public static final List<StoreFunction<?, ?>> ALL = List.of(IS_VALID_PATH, QUERY_VALID_PATHS, QUERY_PATH_INFO,
            QUERY_PATH_FROM_HASH_PART, QUERY_REFERRERS, QUERY_VALID_DERIVERS, QUERY_DERIVATION_OUTPUT_MAP,
            QUERY_ALL_VALID_PATHS, QUERY_SUBSTITUTABLE_PATHS, REGISTER_DRV_OUTPUT, QUERY_REALISATION, ADD_SIGNATURES,
            REGISTER_PATHS, SUBMIT_BUILD, QUERY_BUILD, QUERY_BUILDS, BUILD_STARTED, APPEND_BUILD_LOG, COMPLETE_BUILD, FAIL_BUILD,
            ABANDON_BUILD, FAIL_DEAD_LETTERED_BUILDS, LIST_BUILDS, QUERY_SUBSTITUTABLE_PATH_INFOS, SUBSTITUTE_PATHS,
            QUERY_SUBSTITUTION, SUBSTITUTE, SUBMIT_GRAPH, SUBMIT_GRAPHS, QUERY_SUBMISSION, ABANDON_SUBMISSION, ADD_TEMP_ROOTS, RELEASE_TEMP_ROOTS, ADD_ROOT,
            REMOVE_ROOT, LIST_ROOTS, COLLECT_GARBAGE, COLLECTION_STEPS, QUERY_COLLECTION, QUERY_DELETIONS, QUERY_COLLECTIONS, VERIFY_STORE);

    /** Lambda's ceiling: the collection's steps, verification, substitutions and graph walks are given all of it. */
    private static final java.util.Set<String> LONGEST = java.util.Set.of(COLLECTION_STEPS.name(), VERIFY_STORE.name(),
            SUBSTITUTE.name(), SUBMIT_GRAPH.name(), SUBMIT_GRAPHS.name());
    /** Registration and completion write whole closures; queries answer in milliseconds. */
    private static final java.util.Set<String> LONGER = java.util.Set.of(REGISTER_PATHS.name(), COMPLETE_BUILD.name());

    /**
     * How long one invocation may run before it is cut off: the deployed function's timeout, which
     * the local stack's invoker enforces too, so that work that only finishes given more time fails
     * here as it would in Lambda.
     */
    public java.time.Duration timeout() {
        return LONGEST.contains(name) ? java.time.Duration.ofMinutes(15)
                : LONGER.contains(name) ? java.time.Duration.ofMinutes(5) : java.time.Duration.ofSeconds(60);
    }

    /** The function called {@code name}. */
    public static StoreFunction<?, ?> named(String name) {
        return ALL.stream().filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("there is no store function '" + name + "'"));
    }
}
