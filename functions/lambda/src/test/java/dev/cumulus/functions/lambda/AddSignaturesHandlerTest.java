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
@TestProfile(AddSignaturesHandlerTest.Profile.class)
class AddSignaturesHandlerTest extends HandlerTest {
    public static class Profile extends Handler {
        public Profile() {
            super("add-signatures");
        }
    }

    @Test
    void answersThroughTheMockEventServer() {
        PathInfo p = signed("sigs");
        seed(p);
        String sig = dev.cumulus.model.signing.SecretKey.generate("other-1").sign(p.fingerprint(STORE)).render();
        assertEquals(1, ok(new Requests.AddSignatures(print(p.path()), List.of(sig))).getInt("added"));
    }
}
