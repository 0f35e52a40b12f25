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
@TestProfile(QueryReferrersHandlerTest.Profile.class)
class QueryReferrersHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-referrers");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo lib = signed("lib");
        PathInfo app = signed("app", lib.path());
        seed(lib, app);
        assertEquals(List.of(print(app.path())), ok(new Requests.PathQuery(print(lib.path()))).getList("paths"));
    }
}
