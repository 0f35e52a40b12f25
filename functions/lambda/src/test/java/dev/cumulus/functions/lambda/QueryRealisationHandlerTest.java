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
@TestProfile(QueryRealisationHandlerTest.Profile.class)
class QueryRealisationHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-realisation");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo out = signed("ca-out");
        seed(out);
        DrvOutput id = new DrvOutput.ByPath(randomPath("ca.drv"), "out");
        LocalStackResource.seeder().call(dev.cumulus.model.event.StoreFunction.REGISTER_DRV_OUTPUT,
                new Requests.RegisterRealisation(true, Realisation.of(id, out.path()).toJson()));
        assertEquals(out.path().baseName(), ok(new Requests.DrvOutputQuery(id.render(STORE)))
                .getString("realisation.value.outPath"));
    }
}
