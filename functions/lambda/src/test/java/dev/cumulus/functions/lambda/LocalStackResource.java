package dev.cumulus.functions.lambda;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.StoreDir;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the local stack for the Quarkus application under test and points its configuration at
 * it. Tests seed data through {@link #seeder()}, the same functions in process, on the same tables.
 */
public class LocalStackResource implements QuarkusTestResourceLifecycleManager {
    static final SecretKey TRUSTED = SecretKey.generate("lambda-test-1");
    private static LocalStack stack;

    @Override
    public Map<String, String> start() {
        try {
            stack = LocalStack.start(Optional.empty(), "lambda-");
        } catch (Exception e) {
            throw new IllegalStateException("the local stack did not start", e);
        }
        Map<String, String> config = new HashMap<>();
        stack.config().toEnvironment().forEach((k, v) -> config.put(k.toLowerCase().replace('_', '.'), v));
        config.put("cumulus.trusted.public.keys", TRUSTED.publicKey().render());
        config.put("cumulus.substituters", stack.bucketUrl().toString());
        return config;
    }

    @Override
    public void stop() {
        stack.close();
    }

    static LocalStack stack() {
        return stack;
    }

    static StoreFunctionClient seeder() {
        FunctionsConfig config = new FunctionsConfig(StoreDir.DEFAULT, stack.config().resourcePrefix(),
                List.of(TRUSTED.publicKey()), List.of());
        return new StoreFunctionClient(new InProcessInvoker(StoreFunctions.of(new AwsClients(stack.config()), config)));
    }
}
