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
@TestProfile(QueryValidPathsHandlerTest.Profile.class)
class QueryValidPathsHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-valid-paths");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo p = signed("valid");
        seed(p);
        assertEquals(List.of(print(p.path())), ok(new Requests.PathsQuery(List.of(print(randomPath("absent")),
                print(p.path())))).getList("paths"));
    }
}
