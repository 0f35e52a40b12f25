package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.LambdaInvoker;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.functions.FunctionPathInfoService;
import dev.cumulus.proxy.functions.FunctionRealisationService;
import java.util.Map;

/**
 * Where the proxy's store functions run: nowhere (operations that need them say so), in this
 * process against DynamoDB, or as Lambda functions. Both read the AWS endpoints and the functions'
 * settings from the environment ({@code CUMULUS_DYNAMODB_ENDPOINT}, {@code CUMULUS_TRUSTED_PUBLIC_KEYS}, …).
 */
enum StoreFunctionsOption {
    NONE, IN_PROCESS, LAMBDA;

    Backends backends(StoreDir storeDir, Map<String, String> env) {
        Backends none = Backends.unavailable();
        if (this == NONE) {
            return none;
        }
        AwsClients clients = new AwsClients(AwsConfig.fromEnvironment(env));
        StoreFunctionClient client = new StoreFunctionClient(invoker(clients, storeDir, env));
        return new Backends(new FunctionPathInfoService(client, storeDir), none.nars(), none.builds(),
                new FunctionRealisationService(client, storeDir), none.roots());
    }

    private FunctionInvoker invoker(AwsClients clients, StoreDir storeDir, Map<String, String> env) {
        if (this == LAMBDA) {
            return new LambdaInvoker(clients);
        }
        FunctionsConfig config = FunctionsConfig.fromEnvironment(env);
        if (!config.storeDir().equals(storeDir)) {
            config = new FunctionsConfig(storeDir, config.resourcePrefix(), config.trustedKeys(), config.substituters());
        }
        return new InProcessInvoker(StoreFunctions.of(clients.dynamoDb(), config));
    }
}
