package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.model.event.Requests;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.PathInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(QuerySubstitutablePathsHandlerTest.Profile.class)
class QuerySubstitutablePathsHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-substitutable-paths");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        // The stack's own bucket stands in for an upstream cache: a narinfo signed by a trusted key.
        PathInfo cached = signed("cached");
        NarInfo narInfo = new NarInfo(cached, "nar/" + cached.path().hashPart() + ".nar", "none", Optional.empty(), 0, "");
        try (var s3 = LocalStackResource.stack().clients().s3()) {
            s3.putObject(p -> p.bucket(dev.cumulus.model.resources.CloudResources.STORE_BUCKET.physicalName(
                    LocalStackResource.stack().config().resourcePrefix())).key(cached.path().hashPart() + ".narinfo"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString(narInfo.render(STORE)));
        }
        assertEquals(List.of(print(cached.path())), ok(new Requests.PathsQuery(List.of(print(cached.path()),
                print(randomPath("absent"))))).getList("paths"));
    }
}
