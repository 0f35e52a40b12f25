package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.ListBuilds;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.AddTempRoots;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.RootEvents.QueryCollections;
import dev.cumulus.model.event.RootEvents.QueryDeletions;
import dev.cumulus.model.event.RootEvents.ReleaseTempRoots;
import dev.cumulus.model.event.RootEvents.RemoveRoot;
import dev.cumulus.model.event.RootEvents.Root;
import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfo;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import io.quarkus.amazon.lambda.runtime.AmazonLambdaMapperRecorder;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Every store function's handler, in one application. The mock event server serves the one handler
 * an application was started with, and each start costs about ten seconds, so the handlers that have
 * no test of their own are driven here as Quarkus's Lambda runtime drives the one it serves
 * ({@code AmazonLambdaRecorder.handle}): the {@code @Named} bean, the event read into the handler's
 * input type and its answer written by the runtime's own {@code ObjectMapper}. The poll loop and its
 * HTTP, the same for every handler, are what the other handler tests cover.
 */
@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(QueryPathInfoHandlerTest.Profile.class)
class EveryHandlerTest extends HandlerTest {
    private final StoreFunctionClient client = new StoreFunctionClient(new LambdaRuntimeInvoker());

    /** Each function infra deploys names a handler of its request and response types. */
    @Test
    void everyStoreFunctionIsAHandlerOfItsRequestAndAnswer() {
        for (StoreFunction<?, ?> function : StoreFunction.ALL) {
            try (InstanceHandle<Object> bean = Arc.container().instance(function.name())) {
                assertTrue(bean.isAvailable(), "no handler is named '" + function.name() + "'");
                Method handle = handleRequest(bean.get());
                assertEquals(function.request(), handle.getParameterTypes()[0], function.name());
                assertEquals(function.response(), handle.getReturnType(), function.name());
            }
        }
    }

    /** submit, start, log, query, list, complete; fail; abandon; dead-lettered. */
    @Test
    void aBuildsLifeGoesThroughTheBuildHandlers() {
        BuildState built = client.call(StoreFunction.SUBMIT_BUILD, submission("every-built"));
        assertTrue(client.call(StoreFunction.BUILD_STARTED, new BuildStarted(built.id(), "runner-1", 1)).run());
        assertTrue(client.call(StoreFunction.APPEND_BUILD_LOG, new BuildLog(built.id(), 1, 0, List.of("building <it>"))).run());
        BuildState running = client.call(StoreFunction.QUERY_BUILD, new BuildQuery(built.id(), 0));
        assertEquals(BuildState.RUNNING, running.state());
        assertEquals(List.of("building <it>"), running.log());
        assertEquals(List.of(built.id()), client.call(StoreFunction.QUERY_BUILDS,
                new BuildsQuery(List.of(new BuildQuery(built.id(), 0)), List.of())).builds().stream().map(BuildState::id).toList());
        assertTrue(listed(built.id()), "list-builds lists the build");
        String out = built.outputs().get("out");
        Hash narHash = Hash.of(HashAlgorithm.SHA256, "nar of " + out);
        NarObject object = new NarObject("nar/" + narHash.toNix32() + ".nar", "none", narHash.toNix32(), 112);
        LocalStackResource.stack().clients().s3().putObject(p -> p.bucket(CloudResources.STORE_BUCKET.physicalName(
                        LocalStackResource.stack().config().resourcePrefix())).key(object.key()),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[112])); // as the runner writes it
        BuildReport report = new BuildReport(built.id(), "Built", null, List.of(new BuildReport.BuiltOutput(out, out,
                narHash.toString(), 112, object, null, List.of(), List.of(), List.of())), 1, 2);
        BuildState done = client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(report, 1, 1L));
        assertEquals(BuildState.BUILT, done.state());
        assertEquals(built.drvPath(), client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(out)).info().deriver());

        BuildState broken = client.call(StoreFunction.SUBMIT_BUILD, submission("every-failed"));
        BuildState failed = client.call(StoreFunction.FAIL_BUILD, new FailBuild(broken.id(), "MiscFailure", "it broke"));
        assertEquals(BuildState.FAILED, failed.state());
        assertEquals("MiscFailure", failed.status());
        assertEquals("it broke", failed.error());
        assertFalse(client.call(StoreFunction.BUILD_STARTED, new BuildStarted(broken.id(), "runner-1", 2)).run(),
                "an ended build is not started again");

        BuildState left = client.call(StoreFunction.SUBMIT_BUILD, submission("every-abandoned"));
        BuildState abandoned = client.call(StoreFunction.ABANDON_BUILD, new AbandonBuild(left.id()));
        assertEquals(BuildState.FAILED, abandoned.state());
        assertTrue(abandoned.error().contains("cancelled"), abandoned.error());

        BuildState lost = client.call(StoreFunction.SUBMIT_BUILD, submission("every-dead-lettered"));
        Message letter = queued(CloudResources.buildRequests(RunnerPools.DEFAULT_NAME), lost.id());
        MessagesHandled handled = client.call(StoreFunction.FAIL_DEAD_LETTERED_BUILDS,
                new QueueMessages(List.of(new QueueMessage("m1", letter.body()))));
        assertEquals(List.of(), handled.batchItemFailures());
        BuildState dead = client.call(StoreFunction.QUERY_BUILD, new BuildQuery(lost.id(), 0));
        assertEquals(BuildState.FAILED, dead.state());
        assertTrue(dead.error().contains("no build-runner finished it"), dead.error());

        FunctionFailedException unknown = assertThrows(FunctionFailedException.class,
                () -> client.call(StoreFunction.BUILD_STARTED, new BuildStarted("no-such-build", "runner-1", 1)));
        assertTrue(unknown.getMessage().contains("there is no build 'no-such-build'"), unknown.getMessage());
    }

    /** Temporary and named roots come and go; deletions are announced; the verifier finds a missing NAR. */
    @Test
    void rootsDeletionsAndVerificationGoThroughTheirHandlers() {
        PathInfo held = signed("every-held");
        seed(held);
        String session = "every-" + UUID.randomUUID();
        client.call(StoreFunction.ADD_TEMP_ROOTS, new AddTempRoots(session, List.of(print(held.path())), 600));
        Root temporary = new Root("{temp:" + session + "}", print(held.path()), true); // as Nix lists a temporary root
        assertTrue(roots().contains(temporary), roots().toString());
        client.call(StoreFunction.RELEASE_TEMP_ROOTS, new ReleaseTempRoots(session));
        assertFalse(roots().contains(temporary));

        String name = "every-root-" + held.path().hashPart();
        client.call(StoreFunction.ADD_ROOT, new AddRoot(name, print(held.path())));
        assertTrue(roots().contains(new Root(name, print(held.path()), false)));
        client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot(name));
        assertFalse(roots().stream().anyMatch(r -> r.name().equals(name)));

        assertNotNull(client.call(StoreFunction.QUERY_DELETIONS, new QueryDeletions()));
        assertNotNull(client.call(StoreFunction.QUERY_COLLECTIONS, new QueryCollections()).collections());

        // The seeded path's NAR was never uploaded: the verifier says so.
        StoreVerified verified = client.call(StoreFunction.VERIFY_STORE, new VerifyStore(false, false,
                List.of(print(held.path()))));
        assertEquals(1, verified.pathsChecked());
        assertTrue(verified.violations().stream().anyMatch(v -> v.contains(held.path().baseName())), verified.violations().toString());
    }

    /**
     * A collection is started by collect-garbage, runs step by step through collection-steps (each
     * step a message on its queue, as the event source mapping delivers it) and is followed to its
     * end, paths and all, through query-collection.
     */
    @Test
    void aCollectionRunsThroughItsHandlers() {
        PathInfo dead = signed("every-collected");
        seed(dead);
        SqsClient sqs = LocalStackResource.stack().clients().sqs();
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.COLLECTION_STEPS.physicalName(
                LocalStackResource.stack().config().resourcePrefix()))).queueUrl();
        List<String> ran = new java.util.ArrayList<>();
        GarbageCollected done = GarbageCollection.run(client,
                CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1), true, state -> {
                    for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10)).messages()) {
                        MessagesHandled handled = client.call(StoreFunction.COLLECTION_STEPS,
                                new QueueMessages(List.of(new QueueMessage(m.messageId(), m.body()))));
                        assertEquals(List.of(), handled.batchItemFailures());
                        sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
                        ran.add(m.body());
                    }
                });
        assertTrue(done.paths().contains(print(dead.path())), done.paths().toString());
        assertTrue(ran.stream().anyMatch(b -> b.contains("\"finish\"")), ran.toString());
        assertEquals(null, client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(dead.path()))).info());
    }

    /** A derivation in the store is submitted as a graph, queried, and abandoned; a queued submission is taken. */
    @Test
    void aGraphIsSubmittedQueriedAndAbandonedThroughTheGraphHandlers() {
        StorePath drv = storeDerivation("every-graph");
        SubmissionState submitted = client.call(StoreFunction.SUBMIT_GRAPH,
                new SubmitGraph(null, print(drv), List.of("out"), GraphEvents.FROM_CLIENT, 0, 0));
        assertEquals(SubmissionState.RUNNING, submitted.state());
        assertEquals(List.of(print(drv)), submitted.building().stream().map(GraphEvents.BuildingStep::drvPath).toList());
        assertEquals(submitted.id(), client.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery(submitted.id())).id());
        SubmissionState cancelled = client.call(StoreFunction.ABANDON_SUBMISSION, new AbandonSubmission(submitted.id()));
        assertEquals(SubmissionState.ENDED, cancelled.state());
        assertEquals(SubmissionState.CANCELLED, cancelled.status());

        // As the build-submissions queue delivers them: one good message, one that is not a submission.
        String id = "every-queued-" + UUID.randomUUID();
        String body = new String(dev.cumulus.model.event.EventJson.write(SubmitGraph.ofEvent(id, print(drv), List.of("out"))),
                StandardCharsets.UTF_8);
        MessagesHandled handled = client.call(StoreFunction.SUBMIT_GRAPHS, new QueueMessages(List.of(
                new QueueMessage("good", body), new QueueMessage("bad", "{not json"))));
        assertFalse(handled.batchItemFailures().stream().anyMatch(f -> f.itemIdentifier().equals("good")), handled.toString());
        assertEquals(SubmissionState.RUNNING, client.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery(id)).state());
        client.call(StoreFunction.ABANDON_SUBMISSION, new AbandonSubmission(id));
    }

    /**
     * A path the upstream cache (the stack's own bucket stands in) has is found, asked for, fetched by
     * the substitutions queue's handler, and valid afterwards.
     */
    @Test
    void aPathIsSubstitutedThroughTheSubstitutionHandlers() throws IOException {
        byte[] nar = singleFileNar(("substituted " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar);
        PathInfo upstream = PathInfo.of(randomPath("every-substituted"), narHash, nar.length, List.of())
                .sign(STORE, LocalStackResource.TRUSTED);
        String narKey = "nar/" + narHash.toNix32() + ".nar";
        putInBucket(narKey, nar);
        putInBucket(upstream.path().hashPart() + ".narinfo", new NarInfo(upstream, narKey, "none", Optional.empty(), 0, "")
                .render(STORE).getBytes(StandardCharsets.UTF_8));

        List<SubstitutableInfo> infos = client.call(StoreFunction.QUERY_SUBSTITUTABLE_PATH_INFOS,
                new QuerySubstitutableInfos(List.of(print(upstream.path())), false)).infos();
        assertEquals(List.of(print(upstream.path())), infos.stream().map(SubstitutableInfo::path).toList());

        SubstitutionState asked = client.call(StoreFunction.SUBSTITUTE_PATHS,
                new SubstitutePaths(List.of(print(upstream.path())), List.of(), null));
        Message job = queued(CloudResources.SUBSTITUTION_JOBS, asked.id());
        MessagesHandled handled = client.call(StoreFunction.SUBSTITUTE,
                new QueueMessages(List.of(new QueueMessage("job", job.body()))));
        assertEquals(List.of(), handled.batchItemFailures());
        SubstitutionState done = client.call(StoreFunction.QUERY_SUBSTITUTION, new QuerySubstitution(asked.id()));
        assertEquals(SubstitutionState.DONE, done.state());
        assertEquals(Map.of(), done.failed());
        assertEquals(narHash.toString(), client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(upstream.path())))
                .info().narHash());
    }

    /** Calls a handler bean as {@code AmazonLambdaRecorder.handle} does, with the runtime's own mapper. */
    private static final class LambdaRuntimeInvoker implements FunctionInvoker {
        @Override
        @SuppressWarnings("unchecked")
        public byte[] invoke(String functionName, byte[] request) {
            try (InstanceHandle<Object> bean = Arc.container().instance(functionName)) {
                if (!bean.isAvailable()) {
                    throw new FunctionFailedException("there is no handler '" + functionName + "'");
                }
                RequestHandler<Object, Object> handler = (RequestHandler<Object, Object>) bean.get();
                ObjectMapper mapper = AmazonLambdaMapperRecorder.objectMapper;
                Object input = mapper.readerFor(handleRequest(handler).getParameterTypes()[0]).readValue(request);
                Object answer;
                try {
                    answer = handler.handleRequest(input, null);
                } catch (RuntimeException e) {
                    throw new FunctionFailedException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
                }
                return mapper.writeValueAsBytes(answer);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The handler's own {@code handleRequest} (not the erased bridge): its types are the function's. */
    private static Method handleRequest(Object handler) {
        for (Class<?> c = handler.getClass(); c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals("handleRequest") && m.getParameterCount() == 2 && !m.isBridge()) {
                    return m;
                }
            }
        }
        throw new AssertionError(handler.getClass() + " has no handleRequest of its own");
    }

    private boolean listed(String id) {
        String after = null;
        for (int page = 0; page < 100; page++) {
            var list = client.call(StoreFunction.LIST_BUILDS, new ListBuilds(after, 100));
            if (list.builds().stream().anyMatch(b -> b.id().equals(id))) {
                return true;
            }
            if (list.next() == null) {
                return false;
            }
            after = list.next();
        }
        return false;
    }

    private List<Root> roots() {
        return client.call(StoreFunction.LIST_ROOTS, new ListRoots()).roots();
    }

    /** The message {@code queue} holds for {@code id} (received and made visible again at once). */
    private static Message queued(QueueSpec queue, String id) {
        SqsClient sqs = LocalStackResource.stack().clients().sqs();
        String url = sqs.getQueueUrl(g -> g.queueName(queue.physicalName(
                LocalStackResource.stack().config().resourcePrefix()))).queueUrl();
        for (int i = 0; i < 10; i++) {
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .visibilityTimeout(0)).messages()) {
                if (m.body().contains(id)) {
                    return m;
                }
            }
        }
        throw new AssertionError("no message for " + id + " on " + queue.name());
    }

    /** A trivial derivation for x86_64-linux, its own per call: {@code /bin/sh -c true}. */
    private static SubmitBuild submission(String name) {
        String o = print(randomPath(name));
        String aterm = "Derive([(\"out\",\"" + o + "\",\"\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"true\"],"
                + "[(\"builder\",\"/bin/sh\"),(\"name\",\"" + name + "\"),(\"out\",\"" + o + "\"),(\"system\",\"x86_64-linux\")])";
        return new SubmitBuild(print(randomPath(name + ".drv")), aterm, List.of(), Map.of(), 0, 0, GraphEvents.FROM_CLIENT);
    }

    /** A derivation without inputs, its NAR in the bucket and the path registered, as {@code nix copy --derivation} leaves it. */
    private static StorePath storeDerivation(String name) {
        TreeMap<String, String> env = new TreeMap<>(Map.of("name", name, "builder", "/bin/sh", "system", "x86_64-linux",
                "nonce", UUID.randomUUID().toString()));
        Derivation drv = new DerivationHasher(STORE, p -> null).fillInOutputPaths(new Derivation(name,
                new TreeMap<>(Map.of("out", new DerivationOutput.Deferred())), new TreeMap<>(), new TreeSet<>(),
                "x86_64-linux", "/bin/sh", List.of("-c", "true"), env));
        StorePath path = drv.drvPath(STORE);
        String aterm = drv.toAterm(STORE);
        byte[] nar = singleFileNar(aterm.getBytes(StandardCharsets.UTF_8));
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar);
        String key = "nar/" + narHash.toNix32() + ".nar";
        putInBucket(key, nar);
        PathInfo info = PathInfo.of(path, narHash, nar.length, List.of())
                .withCa(Optional.of(new ContentAddress(ContentAddressMethod.TEXT, Hash.sha256(aterm))));
        seed(new NewPath(PathInfoEvent.of(STORE, info), new NarObject(key, "none", "sha256:" + narHash.toNix32(), nar.length),
                NewPath.derivationOutputs(STORE, path, aterm.getBytes(StandardCharsets.UTF_8))));
        return path;
    }

    private static void putInBucket(String key, byte[] bytes) {
        var s3 = LocalStackResource.stack().clients().s3();
        s3.putObject(p -> p.bucket(CloudResources.STORE_BUCKET.physicalName(LocalStackResource.stack().config().resourcePrefix()))
                .key(key), RequestBody.fromBytes(bytes));
    }

    /** The NAR of a single file holding {@code contents}, as the store's own NarWriter writes it. */
    private static byte[] singleFileNar(byte[] contents) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("every-handler", "");
            try {
                java.nio.file.Files.write(file, contents);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                dev.cumulus.model.nar.NarWriter.dump(file, out);
                return out.toByteArray();
            } finally {
                java.nio.file.Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
