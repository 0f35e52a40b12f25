package dev.cumulus.functions.lambda;

import static io.restassured.RestAssured.given;

import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.Nix32;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What the handler tests share: each runs one handler (its profile sets {@code quarkus.lambda.handler})
 * and sends it events through Quarkus's Lambda mock event server, as Lambda would.
 */
abstract class HandlerTest {
    static final StoreDir STORE = StoreDir.DEFAULT;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A profile running one handler. */
    abstract static class Handler implements QuarkusTestProfile {
        private final String name;

        Handler(String name) {
            this.name = name;
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.lambda.handler", name);
        }
    }

    /** Invokes the handler with {@code event} as JSON; a failed invocation is status 500 with errorMessage. */
    static Response invoke(Object event) {
        return given().contentType("application/json").accept("application/json")
                .body(new String(EventJson.write(event), java.nio.charset.StandardCharsets.UTF_8)).when().post();
    }

    static JsonPath ok(Object event) {
        Response r = invoke(event);
        if (r.statusCode() != 200) {
            throw new AssertionError("the handler failed: " + r.asString());
        }
        return r.jsonPath();
    }

    static StorePath randomPath(String name) {
        byte[] h = new byte[StorePath.HASH_BYTES];
        RANDOM.nextBytes(h);
        return new StorePath(Nix32.encode(h), name);
    }

    static PathInfo signed(String name, StorePath... references) {
        byte[] nar = new byte[32];
        RANDOM.nextBytes(nar);
        return PathInfo.of(randomPath(name), new Hash(HashAlgorithm.SHA256, nar), 4096,
                new TreeSet<>(Arrays.asList(references))).sign(STORE, LocalStackResource.TRUSTED);
    }

    /** Registers paths directly, through the same functions in process. */
    static void seed(PathInfo... infos) {
        LocalStackResource.seeder().call(dev.cumulus.model.event.StoreFunction.REGISTER_PATHS, new RegisterPaths(true, true,
                Arrays.stream(infos).map(i -> new NewPath(PathInfoEvent.of(STORE, i), null, Map.of())).toList()));
    }

    static void seed(NewPath path) {
        LocalStackResource.seeder().call(dev.cumulus.model.event.StoreFunction.REGISTER_PATHS,
                new RegisterPaths(true, true, List.of(path)));
    }

    static String print(StorePath p) {
        return STORE.print(p);
    }
}
