package dev.cumulus.functions.lambda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.PathInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(LocalStackResource.class)
@TestProfile(DashboardHandlerTest.Profile.class)
class DashboardHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("dashboard");
        }
    }

    /** A request to the function URL, as Lambda delivers it (payload format 2.0). */
    static Map<String, Object> get(String path, String query) {
        return Map.of("version", "2.0", "rawPath", path, "rawQueryString", query,
                "requestContext", Map.of("http", Map.of("method", "GET", "path", path)));
    }

    @Test
    void servesAPathsPageThroughTheFunctionUrl() {
        PathInfo dep = signed("dashboard-dep");
        PathInfo top = signed("dashboard-top", dep.path());
        seed(dep, top);
        JsonPath page = ok(get("/paths/" + top.path().hashPart(), ""));
        assertEquals(200, page.getInt("statusCode"));
        assertEquals("text/html; charset=utf-8", page.getString("headers.Content-Type"));
        String body = page.getString("body");
        assertTrue(body.contains(STORE.print(top.path())), body);
        assertTrue(body.contains("2 paths, 8.0 KiB"), "its closure: itself and its reference, 4 KiB each: " + body);
        assertTrue(body.contains("href=\"/paths/" + dep.path().hashPart() + "\""), body);
    }

    @Test
    void aSearchForMarkupFindsNothingAndShowsItAsText() {
        JsonPath page = ok(get("/search", "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"));
        assertEquals(404, page.getInt("statusCode"));
        String body = page.getString("body");
        assertTrue(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), body);
        assertFalse(body.contains("<script>alert"), body);
        assertEquals(404, ok(get("/metrics", "")).getInt("statusCode"), "metrics are CloudWatch's in AWS");
    }
}
