package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildLog;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.DeadLetter;
import dev.cumulus.model.event.BuildEvents.DeadLetters;
import dev.cumulus.model.event.BuildEvents.DeadLettersHandled;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
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
            DeadLettersHandled handled = store.client.call(StoreFunction.FAIL_DEAD_LETTERED_BUILDS, new DeadLetters(List.of(
                    new DeadLetter("m1", message.body()), new DeadLetter("m2", "{not json"))));
            assertEquals(List.of(), handled.batchItemFailures());
            BuildState failed = store.client.call(StoreFunction.QUERY_BUILD, new BuildQuery(build.id(), 0));
            assertEquals(BuildState.FAILED, failed.state());
            assertEquals("MiscFailure", failed.status());
            assertTrue(failed.error().contains("no build-runner finished it in "
                    + CloudResources.BUILD_REQUESTS.maxReceiveCount() + " attempts"), failed.error());
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
            SubmitBuild shorter = new SubmitBuild(s.drvPath(), s.derivation(), s.inputs(), s.outputHashes(), 5, 2, 1);
            constraints = request(stack, sqs, store.client.call(StoreFunction.SUBMIT_BUILD, shorter).id()).constraints();
            assertEquals(5, constraints.timeoutSeconds());
            assertEquals(2, constraints.maxSilentSeconds());

            SubmitBuild longer = new SubmitBuild(s.drvPath().replace("short", "long"), s.derivation(), s.inputs(),
                    s.outputHashes(), limits.timeoutSeconds() * 2, 0, 1);
            constraints = request(stack, sqs, store.client.call(StoreFunction.SUBMIT_BUILD, longer).id()).constraints();
            assertEquals(limits.timeoutSeconds(), constraints.timeoutSeconds(), "the store's limit bounds the client's");
        }
    }

    private static dev.cumulus.model.build.BuildRequest request(LocalStack stack, SqsClient sqs, String id) {
        return EventJson.read(queued(stack, sqs, id).getFirst().body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class)
                .request();
    }

    private static TestStore store(LocalStack stack, SqsClient sqs) {
        return new TestStore(stack, List.of(), new SqsBuildQueue(sqs,
                CloudResources.BUILD_REQUESTS.physicalName(stack.config().resourcePrefix())));
    }

    /** A derivation with no inputs, its own per test: {@code /bin/sh -c true}. */
    private static SubmitBuild submission(String name) {
        StorePath out = TestStore.randomPath(name);
        String o = STORE.print(out);
        String aterm = "Derive([(\"out\",\"" + o + "\",\"\",\"\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"true\"],"
                + "[(\"builder\",\"/bin/sh\"),(\"name\",\"" + name + "\"),(\"out\",\"" + o + "\"),(\"system\",\"x86_64-linux\")])";
        StorePath drv = TestStore.randomPath(name + ".drv");
        return new SubmitBuild(STORE.print(drv), aterm, List.of(), Map.of(), 0, 0, 1);
    }

    /** The queue's messages for this build (received and made visible again at once). */
    private static List<Message> queued(LocalStack stack, SqsClient sqs, String id) {
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.BUILD_REQUESTS.physicalName(stack.config().resourcePrefix())))
                .queueUrl();
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
