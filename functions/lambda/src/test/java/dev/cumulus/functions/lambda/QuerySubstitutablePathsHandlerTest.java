package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        StorePath cached = randomPath("cached");
        try (var s3 = LocalStackResource.stack().clients().s3()) {
            s3.putObject(p -> p.bucket(dev.cumulus.model.resources.CloudResources.STORE_BUCKET.physicalName(
                    LocalStackResource.stack().config().resourcePrefix())).key(cached.hashPart() + ".narinfo"),
                    software.amazon.awssdk.core.sync.RequestBody.fromString("StorePath: " + print(cached) + "\n"));
        }
        assertEquals(List.of(print(cached)), ok(new Requests.PathsQuery(List.of(print(cached),
                print(randomPath("absent"))))).getList("paths"));
    }
}
