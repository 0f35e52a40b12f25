package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.LambdaInvoker;
import dev.cumulus.aws.StoreSigningKey;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.InProcessInvoker;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.Backends;
import java.util.Map;
import java.util.Optional;

/**
 * Where the proxy's store functions run: nowhere (operations that need them say so), in this
 * process against DynamoDB, or as Lambda functions. Both read the AWS endpoints and the functions'
 * settings from the environment ({@code CUMULUS_DYNAMODB_ENDPOINT}, {@code CUMULUS_TRUSTED_PUBLIC_KEYS}, …);
 * NARs go to the store bucket, compressed as {@code CUMULUS_NAR_COMPRESSION} says (zstd by default)
 * and narinfos signed with the key in {@code CUMULUS_SIGNING_KEY_FILE} when it is set.
 */
enum StoreFunctionsOption {
    NONE, IN_PROCESS, LAMBDA;

    /** Reads {@code none}, {@code in-process} and {@code lambda}, in any case. */
    static final class Converter implements picocli.CommandLine.ITypeConverter<StoreFunctionsOption> {
        @Override
        public StoreFunctionsOption convert(String value) {
            return StoreFunctionsOption.valueOf(value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        }
    }

    Backends backends(StoreDir storeDir, Map<String, String> env) {
        if (this == NONE) {
            return Backends.unavailable();
        }
        AwsClients clients = new AwsClients(AwsConfig.fromEnvironment(env));
        return CloudBackends.of(clients, invoker(clients, storeDir, env), storeDir,
                compression(env), StoreSigningKey.fromEnvironment(env));
    }

    /** A client of the functions the environment points at. */
    StoreFunctionClient client(Map<String, String> env) {
        AwsClients clients = new AwsClients(AwsConfig.fromEnvironment(env));
        return new StoreFunctionClient(invoker(clients, FunctionsConfig.fromEnvironment(env).storeDir(), env));
    }

    /** How NARs are compressed in the bucket: {@code CUMULUS_NAR_COMPRESSION}, zstd by default. */
    static NarCompression compression(Map<String, String> env) {
        return NarCompression.parse(env.getOrDefault("CUMULUS_NAR_COMPRESSION", "zstd"));
    }

    FunctionInvoker invoker(AwsClients clients, StoreDir storeDir, Map<String, String> env) {
        if (this == LAMBDA) {
            return new LambdaInvoker(clients, Optional.ofNullable(env.get("CUMULUS_LAMBDA_ALIAS")).filter(a -> !a.isBlank()));
        }
        FunctionsConfig config = FunctionsConfig.fromEnvironment(env);
        if (!config.storeDir().equals(storeDir)) {
            config = config.withStoreDir(storeDir);
        }
        return new InProcessInvoker(StoreFunctions.of(clients, config));
    }
}
