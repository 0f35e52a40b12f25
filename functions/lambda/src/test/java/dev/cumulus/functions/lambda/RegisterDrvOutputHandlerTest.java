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
@TestProfile(RegisterDrvOutputHandlerTest.Profile.class)
class RegisterDrvOutputHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("register-drv-output");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo out = signed("ca-out");
        seed(out);
        Realisation r = Realisation.of(new DrvOutput.ByHash(Hash.sha256("drv"), "out"), out.path());
        var refused = invoke(new Requests.RegisterRealisation(false, r.toJson()));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("lacks a signature"), refused.asString());
        var stored = ok(new Requests.RegisterRealisation(false, r.sign(LocalStackResource.TRUSTED).toJson()));
        assertEquals(out.path().baseName(), stored.getString("realisation.outPath"));
    }
}
