package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.backend.Backends;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an untrusted caller may not do is refused in Nix's words before any backend is asked (this
 * proxy has none), and the connection goes on. A trusted caller's same requests get past the
 * refusal (to the missing backend), so each refusal is the caller's trust, nothing else.
 */
class UntrustedCallerTest {
    private static final String PATH = "/nix/store/00000000000000000000000000000000-x";

    @TempDir
    Path tmp;
    UnixSocketServer untrusted;
    UnixSocketServer trusted;

    @BeforeEach
    void start() throws IOException {
        ProxyConfig config = new ProxyConfig(StoreDir.DEFAULT, Backends.unavailable(), WireLimits.DEFAULT);
        untrusted = new UnixSocketServer(config, tmp.resolve("untrusted.sock"), false);
        trusted = new UnixSocketServer(config, tmp.resolve("trusted.sock"), true);
    }

    @AfterEach
    void stop() throws IOException {
        untrusted.close();
        trusted.close();
    }

    /** A request, its expected refusal for an untrusted caller. */
    private record Refused(String what, Request request, String error) {}

    private interface Request {
        void send(TestClient c) throws IOException;
    }

    private static final List<Refused> REFUSED = List.of(
            new Refused("AddPermRoot", c -> c.out.writeNum(47).writeString(PATH).writeString("/home/u/result"),
                    "you are not privileged to create perm roots"),
            new Refused("VerifyStore with repair", c -> c.out.writeNum(35).writeNum(1).writeNum(1),
                    "you are not privileged to repair paths"),
            new Refused("BuildPaths in repair mode", c -> c.out.writeNum(9).writeNum(1).writeString(PATH).writeNum(1),
                    "repairing is not allowed because you are not a trusted user of this store"));

    @Test
    void eachIsRefusedInNixsWordsAndTheConnectionGoesOn() throws IOException {
        try (TestClient c = new TestClient(untrusted.socket())) {
            c.handshake(34);
            for (Refused r : REFUSED) {
                r.request().send(c);
                Optional<String> err = c.readStderr();
                assertTrue(err.isPresent() && err.get().contains(r.error()), r.what() + ": " + err);
            }
            // still served: an answer (the missing backend's error) to the next request
            c.out.writeNum(1).writeString(PATH);
            assertTrue(c.readStderr().orElseThrow().contains("not available"));
        }
    }

    @Test
    void aTrustedCallerGetsPastEachRefusal() throws IOException {
        try (TestClient c = new TestClient(trusted.socket())) {
            c.handshake(34);
            for (Refused r : REFUSED) {
                r.request().send(c);
                Optional<String> err = c.readStderr();
                // Past the trust check, to the backend this proxy does not have.
                assertTrue(err.isPresent() && err.get().contains("is not available") && !err.get().contains("not privileged"),
                        r.what() + ": " + err);
            }
        }
    }
}
