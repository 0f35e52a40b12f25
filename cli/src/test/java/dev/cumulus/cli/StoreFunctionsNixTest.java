package dev.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.aws.AwsClients;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's real {@code nix} queries paths registered in DynamoDB (the local stack) through
 * {@code ./cumulus proxy --stdio --functions in-process}: from wire bytes to table items and back.
 */
@ExtendWith(LocalStackExtension.class)
class StoreFunctionsNixTest {
    private static final StoreDir STORE = StoreDir.DEFAULT;

    @TempDir
    Path tmp;

    @Test
    void nixQueriesPathsRegisteredThroughTheFunctions(LocalStack stack) throws Exception {
        SecretKey key = SecretKey.generate("cli-test-1");
        PathInfo lib = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("lib " + tmp), "lib"),
                Hash.sha256("lib nar " + tmp), 1234, List.of()).sign(STORE, key);
        PathInfo app = PathInfo.of(STORE.makeStorePath("output:out", Hash.sha256("app " + tmp), "app"),
                Hash.sha256("app nar " + tmp), 5678, List.of(lib.path())).sign(STORE, key);
        FunctionsConfig config = new FunctionsConfig(STORE, stack.config().resourcePrefix(), List.of(key.publicKey()), List.of());
        new StoreFunctionClient(new InProcessInvoker(StoreFunctions.of(new AwsClients(stack.config()), config)))
                .call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true, List.of(
                        new NewPath(PathInfoEvent.of(STORE, lib), null, Map.of()),
                        new NewPath(PathInfoEvent.of(STORE, app), null, Map.of()))));

        Path program = tmp.resolve("remote-program");
        Files.writeString(program, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
                + System.getProperty("java.class.path") + "' " + Main.class.getName()
                + " proxy --functions in-process \"$@\"\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = new HashMap<>(stack.config().toEnvironment());
        env.put("CUMULUS_TRUSTED_PUBLIC_KEYS", key.publicKey().render());
        env.put("PATH", CliTest.shared().resolve("nix-2.8-captures/tools/bin").toAbsolutePath() + ":"
                + System.getenv("PATH"));
        String store = "ssh-ng://fakehost?remote-program=" + program;

        CliTest.Run info = nix(env, "nix", "path-info", "--json", "-r", "--store", store, STORE.print(app.path()));
        assertEquals(0, info.exit(), info.stderr());
        JsonNode json = new ObjectMapper().readTree(info.out());
        assertEquals(2, json.size(), info.out());
        for (JsonNode p : json) {
            PathInfo expected = p.get("path").asText().equals(STORE.print(app.path())) ? app : lib;
            assertEquals(expected.narHash().toString(HashFormat.SRI), p.get("narHash").asText());
            assertEquals(expected.narSize(), p.get("narSize").asLong());
            assertEquals(expected.references().stream().map(STORE::print).toList(),
                    new ObjectMapper().convertValue(p.get("references"), List.class));
        }

        CliTest.Run referrers = nix(env, "nix-store", "--store", store, "-q", "--referrers", STORE.print(lib.path()));
        assertEquals(0, referrers.exit(), referrers.stderr());
        assertEquals(STORE.print(app.path()), referrers.out().strip());

        StorePath absent = STORE.makeStorePath("output:out", Hash.sha256("absent " + tmp), "absent");
        CliTest.Run missing = nix(env, "nix", "path-info", "--store", store, STORE.print(absent));
        assertNotEquals(0, missing.exit());
        assertTrue(missing.stderr().contains("is not valid"), missing.stderr());
    }

    private CliTest.Run nix(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("NIX_CONFIG", "substituters =\nexperimental-features = nix-command");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        pb.environment().putAll(env);
        return CliTest.run(null, pb);
    }
}
