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
@TestProfile(QueryDerivationOutputMapHandlerTest.Profile.class)
class QueryDerivationOutputMapHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-derivation-output-map");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        StorePath out = randomPath("hello");
        PathInfo drv = PathInfo.of(randomPath("hello.drv"), Hash.sha256("d"), 100, List.of())
                .sign(STORE, LocalStackResource.TRUSTED);
        Map<String, String> outputs = new HashMap<>();
        outputs.put("out", print(out));
        outputs.put("doc", null);
        seed(new NewPath(PathInfoEvent.of(STORE, drv), null, outputs));
        var map = ok(new Requests.PathQuery(print(drv.path())));
        assertEquals(print(out), map.getString("outputs.out"));
        assertTrue(map.getMap("outputs").containsKey("doc"), map.prettify());
    }
}
