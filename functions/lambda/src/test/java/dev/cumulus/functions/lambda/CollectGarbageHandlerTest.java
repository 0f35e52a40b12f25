package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.store.PathInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(CollectGarbageHandlerTest.Profile.class)
class CollectGarbageHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("collect-garbage");
        }
    }

    @Test
    void listsAndDeletesWhatNoRootReachesAndRefusesAnUnknownAction() {
        PathInfo kept = signed("gc-handler-kept");
        PathInfo dead = signed("gc-handler-dead");
        seed(kept, dead);
        LocalStackResource.seeder().call(StoreFunction.ADD_ROOT, new AddRoot("gc-handler-" + kept.path().hashPart(),
                print(kept.path())));
        List<String> listed = ok(CollectGarbage.wholeStore(CollectGarbage.RETURN_DEAD, -1, -1)).getList("paths", String.class);
        assertTrue(listed.contains(print(dead.path())) && !listed.contains(print(kept.path())), listed.toString());
        List<String> deleted = ok(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1)).getList("paths", String.class);
        assertTrue(deleted.contains(print(dead.path())), deleted.toString());
        var answer = LocalStackResource.seeder().call(StoreFunction.QUERY_PATH_INFO,
                new dev.cumulus.model.event.Requests.PathQuery(print(dead.path())));
        assertEquals(null, answer.info());

        var refused = invoke(CollectGarbage.wholeStore("delete-everything", -1, -1));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("unknown garbage collector action"), refused.asString());
    }
}
