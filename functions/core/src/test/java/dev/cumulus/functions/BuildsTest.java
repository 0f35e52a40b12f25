package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.build.RunnerPlatform;
import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.InputNar;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.localstack.ResourceCreator;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/** The build functions against the local stack's tables and its real build queue. */
@ExtendWith(LocalStackExtension.class)
class BuildsTest {

    @Test
    void identicalSubmissionsShareOneBuildWhichIsCancelledOnlyWhenItsLastWaiterLeaves(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            SubmitBuild submit = submission("shared");
            BuildState first = store.client.call(StoreFunction.SUBMIT_BUILD, submit);
            BuildState second = store.client.call(StoreFunction.SUBMIT_BUILD, submit);
            assertEquals(first.id(), second.id());
            assertEquals(2, second.waiters());
            assertEquals(1, queued(stack, sqs, first.id()).size(), "one message for both submissions");

            BuildState afterOne = store.client.call(StoreFunction.ABANDON_BUILD, new AbandonBuild(first.id()));
            assertEquals(BuildState.QUEUED, afterOne.state(), "the other client still waits");
            BuildState afterBoth = store.client.call(StoreFunction.ABANDON_BUILD, new AbandonBuild(first.id()));
            assertEquals(BuildState.FAILED, afterBoth.state());
            assertTrue(afterBoth.error().contains("cancelled"), afterBoth.error());

            // Submitted again once it ended, it is a new build with a new message.
            BuildState again = store.client.call(StoreFunction.SUBMIT_BUILD, submit);
            assertEquals(BuildState.QUEUED, again.state());
            assertEquals(1, again.waiters());
            assertEquals(1, queued(stack, sqs, again.id()).size());
        }
    }

    @Test
    void aRunnerMayStartAQueuedBuildButNotAnEndedOneAndNotOneThatDoesNotExist(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            BuildState queued = store.client.call(StoreFunction.SUBMIT_BUILD, submission("started-queued"));
            assertTrue(store.client.call(StoreFunction.BUILD_STARTED, new BuildStarted(queued.id(), "r1", 1)).run());
            assertTrue(store.client.call(StoreFunction.BUILD_STARTED, new BuildStarted(queued.id(), "r2", 2)).run(),
                    "a running build may be taken again (its runner died)");
            store.client.call(StoreFunction.FAIL_BUILD, new FailBuild(queued.id(), "MiscFailure", "it broke"));
            assertFalse(store.client.call(StoreFunction.BUILD_STARTED, new BuildStarted(queued.id(), "r3", 3)).run());
            FunctionFailedException unknown = assertThrows(FunctionFailedException.class,
                    () -> store.client.call(StoreFunction.BUILD_STARTED, new BuildStarted("no-such-build", "r1", 1)));
            assertTrue(unknown.getMessage().contains("there is no build 'no-such-build'"), unknown.getMessage());
        }
    }

    @Test
    void queryBuildsAnswersEveryBuildInOrderWithLogsWhereAskedOrFinished(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            BuildState running = store.client.call(StoreFunction.SUBMIT_BUILD, submission("watched-running"));
            BuildState ending = store.client.call(StoreFunction.SUBMIT_BUILD, submission("watched-ending"));
            for (BuildState b : List.of(running, ending)) {
                store.client.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(b.id(), 1, 0, List.of("line of " + b.id())));
            }
            store.client.call(StoreFunction.FAIL_BUILD, new FailBuild(ending.id(), "MiscFailure", "it broke"));
            BuildsQuery query = new BuildsQuery(List.of(new BuildQuery(running.id(), 0), new BuildQuery("no-such-build", 0),
                    new BuildQuery(ending.id(), 0)), List.of());

            List<BuildState> answer = store.client.call(StoreFunction.QUERY_BUILDS, query).builds();
            assertEquals(3, answer.size());
            assertEquals(List.of(), answer.get(0).log(), "a running build's log is read only when asked");
            assertEquals(0, answer.get(0).logNext());
            assertNull(answer.get(1));
            assertEquals(BuildState.FAILED, answer.get(2).state());
            assertEquals(List.of("line of " + ending.id()), answer.get(2).log(), "a finished build's log comes unasked");

            BuildsQuery withLog = new BuildsQuery(query.builds(), List.of(running.id()));
            BuildState asked = store.client.call(StoreFunction.QUERY_BUILDS, withLog).builds().get(0);
            assertEquals(List.of("line of " + running.id()), asked.log());
            BuildState after = store.client.call(StoreFunction.QUERY_BUILDS, new BuildsQuery(
                    List.of(new BuildQuery(running.id(), asked.logNext())), List.of(running.id()))).builds().get(0);
            assertEquals(List.of(), after.log(), "from logNext on, nothing new");
        }
    }

    @Test
    void deadLetteredBuildsFailWithAClearErrorAndMalformedLettersAreDropped(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            BuildState build = store.client.call(StoreFunction.SUBMIT_BUILD, submission("dead"));
            Message message = queued(stack, sqs, build.id()).getFirst();
            MessagesHandled handled = store.client.call(StoreFunction.FAIL_DEAD_LETTERED_BUILDS, new QueueMessages(List.of(
                    new QueueMessage("m1", message.body()), new QueueMessage("m2", "{not json"))));
            assertEquals(List.of(), handled.batchItemFailures());
            BuildState failed = store.client.call(StoreFunction.QUERY_BUILD, new BuildQuery(build.id(), 0));
            assertEquals(BuildState.FAILED, failed.state());
            assertEquals("MiscFailure", failed.status());
            assertTrue(failed.error().contains("no build-runner finished it in "
                    + CloudResources.BUILD_REQUEST_RECEIVES + " attempts"), failed.error());
        }
    }

    /**
     * A derivation for a system or feature no runner has is refused at once in Nix's words, and
     * nothing is queued for it; one the runners can build (i686-linux, a default feature) is queued.
     */
    @Test
    void aDerivationNoRunnerCanBuildIsRefusedAtOnceAsNixRefusesIt(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            String features = String.join(", ", RunnerPlatform.defaults().features());
            for (var c : Map.of(submission("arm", "aarch64-linux", ""), "a 'aarch64-linux' with features {} is required to build '",
                    submission("cuda", "x86_64-linux", "cuda big-parallel"),
                    "a 'x86_64-linux' with features {big-parallel, cuda} is required to build '").entrySet()) {
                FunctionFailedException refused = assertThrows(FunctionFailedException.class,
                        () -> store.client.call(StoreFunction.SUBMIT_BUILD, c.getKey()));
                assertTrue(refused.getMessage().contains(c.getValue() + c.getKey().drvPath() + "', but I am a 'x86_64-linux' with features {"
                        + features + "}"), refused.getMessage());
            }
            for (SubmitBuild runnable : List.of(submission("i686", "i686-linux", ""), submission("big", "x86_64-linux", "big-parallel"))) {
                BuildState queued = store.client.call(StoreFunction.SUBMIT_BUILD, runnable);
                assertEquals(BuildState.QUEUED, queued.state());
                assertEquals(1, queued(stack, sqs, queued.id()).size());
            }
        }
    }

    /**
     * With several pools, a build goes to the first pool that has its system and features (one-liners
     * to the small pool, big-parallel and i686 to the big one, cuda to the pool that has it), on that
     * pool's client or batch queue by who waits for it, told the pool's cores; a derivation no pool
     * can build is refused naming every pool, and nothing is queued for it anywhere.
     */
    @Test
    void buildsGoToTheFirstPoolThatHasTheirSystemAndFeaturesWithThatPoolsCores(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            String prefix = stack.config().resourcePrefix();
            RunnerPools pools = RunnerPools.parse("small systems=x86_64-linux features=benchmark cores=2; "
                    + "big systems=x86_64-linux,i686-linux features=benchmark,big-parallel cores=16; "
                    + "gpu systems=x86_64-linux features=cuda cores=4", 1);
            ResourceCreator.createAll(stack.clients(), prefix, pools.names());
            TestStore store = new TestStore(stack, List.of(), StoreQueues.none().withBuilds(new BuildQueues(sqs, prefix)),
                    c -> c.withRunnerPools(pools));
            Map<SubmitBuild, QueueSpec> routes = new java.util.LinkedHashMap<>();
            routes.put(submission("one-liner", "x86_64-linux", ""), CloudResources.buildRequests("small"));
            routes.put(submission("benchmark", "x86_64-linux", "benchmark"), CloudResources.buildRequests("small"));
            routes.put(submission("compiler", "x86_64-linux", "big-parallel"), CloudResources.buildRequests("big"));
            routes.put(submission("i686", "i686-linux", ""), CloudResources.buildRequests("big"));
            routes.put(submission("cuda", "x86_64-linux", "cuda"), CloudResources.buildRequests("gpu"));
            SubmitBuild event = submission("batch", "x86_64-linux", "big-parallel");
            routes.put(new SubmitBuild(event.drvPath(), event.derivation(), List.of(), Map.of(), 0, 0, GraphEvents.FROM_EVENT),
                    CloudResources.batchBuildRequests("big"));
            Map<String, Integer> cores = Map.of("small", 2, "big", 16, "gpu", 4);
            for (var route : routes.entrySet()) {
                BuildState queued = store.client.call(StoreFunction.SUBMIT_BUILD, route.getKey());
                String pool = route.getValue().name().replaceFirst("^build-(requests|batch)-", "");
                assertEquals(pool, queued.pool(), route.getKey().drvPath());
                List<Message> messages = queued(stack, sqs, route.getValue(), queued.id());
                assertEquals(1, messages.size(), route.getKey().drvPath() + " on " + route.getValue().name());
                QueuedBuild message = EventJson.read(messages.getFirst().body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class);
                assertEquals(Integer.toString(cores.get(pool)), message.request().environment().get("NIX_BUILD_CORES"));
                assertEquals(pool, store.client.call(StoreFunction.QUERY_BUILDS, new BuildsQuery(
                        List.of(new BuildQuery(queued.id(), 0)), List.of())).builds().getFirst().pool(), "the pool is recorded");
            }

            SubmitBuild arm = submission("arm", "aarch64-linux", "");
            FunctionFailedException refused = assertThrows(FunctionFailedException.class,
                    () -> store.client.call(StoreFunction.SUBMIT_BUILD, arm));
            assertTrue(refused.getMessage().contains("a 'aarch64-linux' with features {} is required to build '" + arm.drvPath()
                    + "', but no runner pool is: pool 'small' is a 'x86_64-linux' with features {benchmark}; pool 'big' is a "
                    + "'x86_64-linux' with features {benchmark, big-parallel} (and can build for 'i686-linux'); pool 'gpu' is a "
                    + "'x86_64-linux' with features {cuda}"), refused.getMessage());
            // cuda and big-parallel together: each is in some pool, but no pool has both.
            SubmitBuild both = submission("cuda-big", "x86_64-linux", "cuda big-parallel");
            assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.SUBMIT_BUILD, both));
            for (String pool : pools.names()) {
                for (QueueSpec q : List.of(CloudResources.buildRequests(pool), CloudResources.batchBuildRequests(pool))) {
                    String url = sqs.getQueueUrl(g -> g.queueName(q.physicalName(prefix))).queueUrl();
                    for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(0)
                            .visibilityTimeout(0)).messages()) {
                        assertFalse(m.body().contains(arm.drvPath()) || m.body().contains(both.drvPath()), m.body());
                    }
                }
            }
        }
    }

    @Test
    void theStoresBuildLimitsApplyUnlessTheClientSetShorterOnes(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            FunctionsConfig.BuildLimits limits = FunctionsConfig.BuildLimits.DEFAULT;
            SubmitBuild unset = submission("unlimited-client");
            var constraints = request(stack, sqs, store.client.call(StoreFunction.SUBMIT_BUILD, unset).id()).constraints();
            assertEquals(limits.timeoutSeconds(), constraints.timeoutSeconds());
            assertEquals(limits.maxSilentSeconds(), constraints.maxSilentSeconds());

            SubmitBuild s = submission("short-client");
            SubmitBuild shorter = new SubmitBuild(s.drvPath(), s.derivation(), s.inputs(), s.outputHashes(), 5, 2, GraphEvents.FROM_CLIENT);
            constraints = request(stack, sqs, store.client.call(StoreFunction.SUBMIT_BUILD, shorter).id()).constraints();
            assertEquals(5, constraints.timeoutSeconds());
            assertEquals(2, constraints.maxSilentSeconds());

            SubmitBuild longer = new SubmitBuild(s.drvPath().replace("short", "long"), s.derivation(), s.inputs(),
                    s.outputHashes(), limits.timeoutSeconds() * 2, 0, GraphEvents.FROM_CLIENT);
            constraints = request(stack, sqs, store.client.call(StoreFunction.SUBMIT_BUILD, longer).id()).constraints();
            assertEquals(limits.timeoutSeconds(), constraints.timeoutSeconds(), "the store's limit bounds the client's");
        }
    }

    @Test
    void completionRegistersTheOutputsWithTheirRealisationsAndTheEndAndTheLogIsReadOnlyUntilItsEnd(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            Hash hash = Hash.of(HashAlgorithm.SHA256, "completed");
            BuildState build = store.client.call(StoreFunction.SUBMIT_BUILD, withOutputHash(submission("completed"), hash));
            assertTrue(store.client.call(StoreFunction.BUILD_STARTED, new BuildStarted(build.id(), "r1", 1)).run());
            store.client.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(build.id(), 1, 0, List.of("first")));
            store.client.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(build.id(), 1, 1, List.of("second")));

            BuildState done = store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, build), 1, 2L));
            assertEquals(BuildState.BUILT, done.state());
            assertEquals(build.outputs(), done.outputs());
            String out = build.outputs().get("out");
            PathInfoAnswer info = store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(out));
            assertEquals(build.drvPath(), info.info().deriver());
            assertEquals(STORE.parse(out).baseName(), realisedOut(store, hash));
            assertEquals(done, store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, build), 1, 2L)),
                    "a report sent again changes nothing");

            BuildState fromStart = queryBuild(store, build.id(), 0);
            assertEquals(List.of("first", "second"), fromStart.log());
            assertEquals(Builds.CHUNKS_PER_ATTEMPT + 2, fromStart.logNext());
            BuildState afterwards = queryBuild(store, build.id(), fromStart.logNext());
            assertEquals(List.of(), afterwards.log());
            assertEquals(fromStart.logNext(), afterwards.logNext());

            // A first attempt that logged nothing has nothing to read, a report that does not say may have.
            BuildState silent = store.client.call(StoreFunction.SUBMIT_BUILD, submission("silent"));
            store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, silent), 1, 0L));
            assertEquals(List.of(), queryBuild(store, silent.id(), 0).log());
            BuildState unsaid = store.client.call(StoreFunction.SUBMIT_BUILD, submission("unsaid"));
            store.client.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(unsaid.id(), 1, 0, List.of("said")));
            store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, unsaid), 1, null));
            assertEquals(List.of("said"), queryBuild(store, unsaid.id(), 0).log());
        }
    }

    @Test
    void aBuildThatEndedBeforeItsReportStaysEndedAndATakenRealisationKeepsItsFirstPath(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            Hash hash = Hash.of(HashAlgorithm.SHA256, "taken");
            BuildState first = store.client.call(StoreFunction.SUBMIT_BUILD, withOutputHash(submission("taken-first"), hash));
            store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, first), 1, 0L));

            BuildState second = store.client.call(StoreFunction.SUBMIT_BUILD, withOutputHash(submission("taken-second"), hash));
            BuildState built = store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, second), 1, 0L));
            assertEquals(BuildState.BUILT, built.state());
            assertEquals(STORE.parse(first.outputs().get("out")).baseName(), realisedOut(store, hash));

            BuildState cancelled = store.client.call(StoreFunction.SUBMIT_BUILD, submission("cancelled"));
            store.client.call(StoreFunction.ABANDON_BUILD, new AbandonBuild(cancelled.id()));
            BuildState late = store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report(store, cancelled), 1, 0L));
            assertEquals(BuildState.FAILED, late.state(), "the build stays as it ended");
            assertTrue(late.error().contains("cancelled"), late.error());
            assertNull(store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(cancelled.outputs().get("out"))).info(),
                    "an ended build's report is not looked at");
        }
    }

    @Test
    void theQueuedMessageSaysWhereTheInputClosuresNarsLie(LocalStack stack) {
        try (SqsClient sqs = stack.clients().sqs()) {
            TestStore store = store(stack, sqs);
            PathInfo lib = TestStore.signed("input-lib");
            PathInfo app = TestStore.signed("input-app", lib.path());
            Map<StorePath, NarObject> objects = Map.of(lib.path(), new NarObject("nar/lib.nar", "none", "sha256:" + "0".repeat(52), 1),
                    app.path(), new NarObject("nar/app.nar.zst", "zstd", "sha256:" + "1".repeat(52), 2));
            objects.values().forEach(o -> putObject(store, o));
            store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true, List.of(
                    new NewPath(PathInfoEvent.of(STORE, lib), objects.get(lib.path()), Map.of()),
                    new NewPath(PathInfoEvent.of(STORE, app), objects.get(app.path()), Map.of()))));
            SubmitBuild s = submission("with-inputs");
            BuildState build = store.client.call(StoreFunction.SUBMIT_BUILD, new SubmitBuild(s.drvPath(), s.derivation(),
                    List.of(STORE.print(app.path())), Map.of(), 0, 0, GraphEvents.FROM_CLIENT));

            QueuedBuild queued = EventJson.read(queued(stack, sqs, build.id()).getFirst().body()
                    .getBytes(StandardCharsets.UTF_8), QueuedBuild.class);
            assertEquals(List.of(STORE.print(lib.path()), STORE.print(app.path())).stream().sorted().toList(),
                    queued.request().inputs().stream().sorted().toList(), "the closure, references included");
            for (PathInfo p : List.of(lib, app)) {
                InputNar nar = queued.inputNars().get(STORE.print(p.path()));
                assertEquals(objects.get(p.path()), nar.nar());
                assertEquals(p.narHash(), Hash.parseAny(nar.narHash()));
            }
        }
    }

    /** The output path (base name) realised for output {@code out} of the derivation whose output hash is {@code hash}. */
    private static String realisedOut(TestStore store, Hash hash) {
        return store.client.call(StoreFunction.QUERY_REALISATION, new DrvOutputQuery(new DrvOutput.ByHash(hash, "out")
                .render(STORE))).realisation().get("outPath").asText();
    }

    private static BuildState queryBuild(TestStore store, String id, long logFrom) {
        return store.client.call(StoreFunction.QUERY_BUILDS, new BuildsQuery(List.of(new BuildQuery(id, logFrom)), List.of()))
                .builds().getFirst();
    }

    private static SubmitBuild withOutputHash(SubmitBuild s, Hash hash) {
        return new SubmitBuild(s.drvPath(), s.derivation(), s.inputs(), Map.of("out", hash.toString()), 0, 0, GraphEvents.FROM_CLIENT);
    }

    /**
     * A runner's report that the build's one output was built at the path the derivation gives it,
     * its NAR object written as a runner writes it (a registration may look for it).
     */
    private static BuildReport report(TestStore store, BuildState build) {
        String out = build.outputs().get("out");
        Hash narHash = Hash.of(HashAlgorithm.SHA256, "nar of " + out);
        NarObject object = new NarObject("nar/" + narHash.toNix32() + ".nar", "none", narHash.toNix32(), 112);
        putObject(store, object);
        return new BuildReport(build.id(), "Built", null, List.of(new BuildReport.BuiltOutput(out, out, narHash.toString(), 112,
                object, null, List.of(), List.of(), List.of())), 1, 2);
    }

    private static void putObject(TestStore store, NarObject object) {
        try {
            store.bucket.put(object.key(), new byte[(int) object.fileSize()], BinaryCacheLayout.NAR_TYPE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static dev.cumulus.model.build.BuildRequest request(LocalStack stack, SqsClient sqs, String id) {
        return EventJson.read(queued(stack, sqs, id).getFirst().body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class)
                .request();
    }

    private static TestStore store(LocalStack stack, SqsClient sqs) {
        return new TestStore(stack, List.of(), new BuildQueues(sqs, stack.config().resourcePrefix()));
    }

    /** A derivation with no inputs, its own per test: {@code /bin/sh -c true}. */
    private static SubmitBuild submission(String name) {
        return submission(name, "x86_64-linux", "");
    }

    /** A trivial derivation for {@code system}, requiring {@code features} (space-separated; none when empty). */
    private static SubmitBuild submission(String name, String system, String features) {
        StorePath out = TestStore.randomPath(name);
        String o = STORE.print(out);
        String required = features.isEmpty() ? "" : ",(\"requiredSystemFeatures\",\"" + features + "\")";
        String aterm = "Derive([(\"out\",\"" + o + "\",\"\",\"\")],[],[],\"" + system + "\",\"/bin/sh\",[\"-c\",\"true\"],"
                + "[(\"builder\",\"/bin/sh\"),(\"name\",\"" + name + "\"),(\"out\",\"" + o + "\")" + required
                + ",(\"system\",\"" + system + "\")])";
        StorePath drv = TestStore.randomPath(name + ".drv");
        return new SubmitBuild(STORE.print(drv), aterm, List.of(), Map.of(), 0, 0, GraphEvents.FROM_CLIENT);
    }

    /** The queue's messages for this build (received and made visible again at once). */
    private static List<Message> queued(LocalStack stack, SqsClient sqs, String id) {
        return queued(stack, sqs, CloudResources.buildRequests(RunnerPools.DEFAULT_NAME), id);
    }

    /** {@code queue}'s messages for this build (received and made visible again at once). */
    private static List<Message> queued(LocalStack stack, SqsClient sqs, QueueSpec queue, String id) {
        String url = sqs.getQueueUrl(g -> g.queueName(queue.physicalName(stack.config().resourcePrefix()))).queueUrl();
        List<Message> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(0)
                    .visibilityTimeout(0)).messages()) {
                QueuedBuild q = EventJson.read(m.body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class);
                if (q.id().equals(id) && mine.stream().noneMatch(x -> x.messageId().equals(m.messageId()))) {
                    mine.add(m);
                }
            }
        }
        return mine;
    }
}
