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
@TestProfile(RegisterPathsHandlerTest.Profile.class)
class RegisterPathsHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("register-paths");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo lib = signed("lib");
        PathInfo app = signed("app", lib.path());
        var registered = ok(new Requests.RegisterPaths(false, true, List.of(
                new NewPath(PathInfoEvent.of(STORE, lib), null, Map.of()),
                new NewPath(PathInfoEvent.of(STORE, app), null, Map.of()))));
        assertEquals(List.of(print(lib.path()), print(app.path())), registered.getList("registered"));
        PathInfo orphan = signed("orphan", randomPath("missing"));
        var refused = invoke(new Requests.RegisterPaths(false, true, List.of(
                new NewPath(PathInfoEvent.of(STORE, orphan), null, Map.of()))));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("is not valid"), refused.asString());
    }
}
