package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionReport;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(CollectGarbageHandlerTest.Profile.class)
class CollectGarbageHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("collect-garbage");
        }
    }

    /**
     * The handler starts a collection and answers at once with its record; the collection runs on in
     * its steps (here run by the in-process functions, as the collection-steps function would).
     */
    @Test
    void startsACollectionThatRunsOnInItsStepsAndRefusesAnUnknownAction() {
        PathInfo kept = signed("gc-handler-kept");
        PathInfo dead = signed("gc-handler-dead");
        seed(kept, dead);
        LocalStackResource.seeder().call(StoreFunction.ADD_ROOT, new AddRoot("gc-handler-" + kept.path().hashPart(),
                print(kept.path())));
        JsonPath started = ok(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        assertEquals(CollectionState.SCANNING, started.getString("phase"));
        String id = started.getString("id");
        SqsClient sqs = LocalStackResource.stack().clients().sqs();
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.COLLECTION_STEPS.physicalName(
                LocalStackResource.stack().config().resourcePrefix()))).queueUrl();
        CollectionReport report = null;
        for (int i = 0; i < 200 && (report == null || report.state().running()); i++) {
            for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10)).messages()) {
                LocalStackResource.seeder().call(StoreFunction.COLLECTION_STEPS,
                        new QueueMessages(List.of(new QueueMessage(m.messageId(), m.body()))));
                sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            report = LocalStackResource.seeder().call(StoreFunction.QUERY_COLLECTION, new QueryCollection(id, 0));
        }
        assertEquals(CollectionState.DONE, report.state().phase(), report.toString());
        assertTrue(report.paths().contains(print(dead.path())) && !report.paths().contains(print(kept.path())),
                report.paths().toString());
        assertEquals(null, LocalStackResource.seeder().call(StoreFunction.QUERY_PATH_INFO,
                new dev.cumulus.model.event.Requests.PathQuery(print(dead.path()))).info());

        var refused = invoke(CollectGarbage.wholeStore("delete-everything", -1, -1));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("unknown garbage collector action"), refused.asString());
    }
}
