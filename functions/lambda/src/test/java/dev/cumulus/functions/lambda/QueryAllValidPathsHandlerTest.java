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
@TestProfile(QueryAllValidPathsHandlerTest.Profile.class)
class QueryAllValidPathsHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("query-all-valid-paths");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo a = signed("a");
        PathInfo b = signed("b");
        seed(a, b);
        List<Object> all = new java.util.ArrayList<>();
        String after = null;
        do {
            var page = ok(new Requests.PageQuery(after, 1));
            all.addAll(page.getList("paths"));
            after = page.getString("next");
        } while (after != null);
        assertTrue(all.contains(print(a.path())) && all.contains(print(b.path())), all.toString());
    }
}
