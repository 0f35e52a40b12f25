package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.store.PathInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(AddRootHandlerTest.Profile.class)
class AddRootHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("add-root");
        }
    }

    @Test
    void rootsAValidPathAndRefusesAnInvalidOne() {
        PathInfo p = signed("rooted-by-handler");
        seed(p);
        ok(new AddRoot("handler-root-" + p.path().hashPart(), print(p.path())));
        var roots = LocalStackResource.seeder().call(StoreFunction.LIST_ROOTS, new ListRoots()).roots();
        assertTrue(roots.stream().anyMatch(r -> r.name().equals("handler-root-" + p.path().hashPart())
                && r.path().equals(print(p.path())) && !r.temporary()), roots.toString());

        var refused = invoke(new AddRoot("handler-root-absent", print(randomPath("absent"))));
        assertEquals(500, refused.statusCode());
        assertTrue(refused.jsonPath().getString("errorMessage").contains("is not valid"), refused.asString());
    }
}
