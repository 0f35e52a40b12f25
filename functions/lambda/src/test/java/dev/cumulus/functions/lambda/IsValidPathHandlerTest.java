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
@TestProfile(IsValidPathHandlerTest.Profile.class)
class IsValidPathHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("is-valid-path");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo p = signed("valid");
        seed(p);
        assertEquals(true, ok(new Requests.PathQuery(print(p.path()))).getBoolean("valid"));
        assertEquals(false, ok(new Requests.PathQuery(print(randomPath("absent")))).getBoolean("valid"));
        var bad = invoke(new Requests.PathQuery("/tmp/x"));
        assertEquals(500, bad.statusCode());
        assertTrue(bad.jsonPath().getString("errorMessage").contains("not in the Nix store"), bad.asString());
    }
}
