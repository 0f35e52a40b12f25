package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.KeySecret;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several tasks starting at once each find the placeholder CloudFormation put in the key's secret
 * and each make a key (KeySecret): against moto's Secrets Manager, which refuses a request token
 * reused with other contents as AWS does, exactly one key is stored and every task uses it.
 */
class KeySecretRaceTest {
    @TempDir
    Path tmp;

    @Test
    void eightTasksStartingAtOnceAllUseTheOneKeyStored() throws Exception {
        try (MotoServer moto = new MotoServer(tmp)) {
            URI endpoint = moto.endpoint();
            AwsConfig config = new AwsConfig("us-east-1", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.of(endpoint), "cumulus-");
            AwsClients clients = new AwsClients(config);
            try (var secrets = clients.secretsManager()) {
                secrets.createSecret(c -> c.name("cumulus-signing-key").secretString("placeholder from CloudFormation"));
            }
            int tasks = 8;
            CyclicBarrier together = new CyclicBarrier(tasks);
            AtomicInteger made = new AtomicInteger();
            List<Future<String>> used = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(tasks);
            for (int t = 0; t < tasks; t++) {
                int task = t;
                used.add(pool.submit(() -> {
                    try (var secrets = clients.secretsManager()) {
                        KeySecret secret = new KeySecret(secrets, "cumulus-signing-key");
                        return secret.getOrCreate(value -> value.startsWith("key-"), () -> {
                            made.incrementAndGet();
                            try {
                                together.await(); // every task has read the placeholder before any writes
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                            return "key-of-task-" + task;
                        });
                    }
                }));
            }
            Set<String> keys = new TreeSet<>();
            for (Future<String> f : used) {
                keys.add(f.get());
            }
            pool.shutdown();
            assertEquals(tasks, made.get(), "every task made a key of its own");
            assertEquals(1, keys.size(), "and all use one of them: " + keys);
            try (var secrets = clients.secretsManager()) {
                assertEquals(keys.iterator().next(), secrets.getSecretValue(g -> g.secretId("cumulus-signing-key")).secretString(),
                        "the one stored");
            }
        }
    }
}
