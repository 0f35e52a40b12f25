package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.StorePath;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(SubmitBuildHandlerTest.Profile.class)
class SubmitBuildHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("submit-build");
        }
    }

    /** A derivation the default pool can build is queued on that pool's queue; one for another system is refused. */
    @Test
    void queuesABuildOnItsPoolAndRefusesOneNoPoolCanBuild() {
        SubmitBuild build = submission("handler-built", "x86_64-linux");
        var queued = ok(build);
        assertEquals("queued", queued.getString("state"));
        assertEquals("default", queued.getString("pool"));
        var sqs = LocalStackResource.stack().clients().sqs();
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.buildRequests("default")
                .physicalName(LocalStackResource.stack().config().resourcePrefix()))).queueUrl();
        var messages = sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
        assertTrue(messages.stream().anyMatch(m -> m.body().contains(queued.getString("id"))), messages.toString());

        var refused = invoke(submission("handler-foreign", "aarch64-linux"));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("a 'aarch64-linux' with features {} is required"),
                refused.asString());
    }

    private static SubmitBuild submission(String name, String system) {
        StorePath out = randomPath(name);
        String o = print(out);
        String aterm = "Derive([(\"out\",\"" + o + "\",\"\",\"\")],[],[],\"" + system + "\",\"/bin/sh\",[\"-c\",\"true\"],"
                + "[(\"builder\",\"/bin/sh\"),(\"name\",\"" + name + "\"),(\"out\",\"" + o + "\"),(\"system\",\"" + system + "\")])";
        return new SubmitBuild(print(randomPath(name + ".drv")), aterm, List.of(), Map.of(), 0, 0, GraphEvents.FROM_CLIENT);
    }
}
