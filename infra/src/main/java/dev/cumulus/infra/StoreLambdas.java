package dev.cumulus.infra;

import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.resources.TableSpec;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Annotations;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.FunctionUrl;
import software.amazon.awscdk.services.lambda.FunctionUrlAuthType;
import software.amazon.awscdk.services.lambda.FunctionUrlOptions;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.s3.EventType;
import software.amazon.awscdk.services.s3.NotificationKeyFilter;
import software.amazon.awscdk.services.s3.notifications.LambdaDestination;
import software.constructs.Construct;

/**
 * Every store function (and the upload ingest and the dashboard) as a Lambda function named {@code <prefix><name>}: the one Quarkus zip,
 * {@code QUARKUS_LAMBDA_HANDLER} picking the {@code @Named} handler, Java 21 with SnapStart. Callers
 * invoke the {@value #ALIAS} alias (a published version, restored from its snapshot); each function's
 * role holds only what {@link FunctionAccess} lists for it. The dead-letter queue triggers
 * fail-dead-lettered-builds, the substitutions queue triggers substitute, and the bucket's new
 * narinfos and realisations trigger binary-cache-ingest; the dashboard answers its function URL,
 * which IAM guards.
 */
public final class StoreLambdas extends Construct {
    /** How many steps of garbage collections run at once in AWS (the event source's maximum concurrency). */
    static final int COLLECTION_STEPS_AT_ONCE = 20;

    public static final String ALIAS = "live";
    static final String HANDLER = "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    private final Map<String, Function> functions = new LinkedHashMap<>();
    private final Map<String, Alias> aliases = new LinkedHashMap<>();
    private final FunctionUrl dashboardUrl;

    public StoreLambdas(Construct scope, String id, InfraConfig config, StoreData data, StoreKeys keys) {
        super(scope, id);
        if (!Files.isRegularFile(config.functionsZip())) {
            throw new IllegalStateException(config.functionsZip() + " is missing: build it first "
                    + "(mvn -B package -DskipTests -pl functions/lambda -am; ./cumulus synth does)");
        }
        Code code = Code.fromAsset(config.functionsZip().toString());
        List<String> names = new ArrayList<>(StoreFunction.ALL.stream().map(StoreFunction::name).toList());
        names.addAll(FunctionAccess.OTHER_FUNCTIONS);
        for (String name : names) {
            FunctionAccess access = FunctionAccess.BY_FUNCTION.get(name);
            if (access == null) {
                throw new IllegalStateException("function '" + name + "' has no line in FunctionAccess");
            }
            String logicalId = StoreData.logicalId(name);
            LogGroup logs = LogGroup.Builder.create(this, logicalId + "Logs")
                    .logGroupName("/aws/lambda/" + config.prefix() + name)
                    .retention(config.logRetention())
                    .removalPolicy(RemovalPolicy.DESTROY)
                    .build();
            Map<String, String> env = new LinkedHashMap<>();
            env.put("QUARKUS_LAMBDA_HANDLER", name);
            env.put("CUMULUS_RESOURCE_PREFIX", config.prefix());
            env.put("CUMULUS_STORE_DIR", config.storeDir());
            if (access.sendsTo().contains(FunctionAccess.RUNNER_POOL_QUEUES)) {
                env.put("CUMULUS_RUNNER_POOLS", config.runnerPools().render());
            }
            if (!config.trustedPublicKeys().isEmpty()) {
                env.put("CUMULUS_TRUSTED_PUBLIC_KEYS", String.join(" ", config.trustedPublicKeys()));
            }
            if (!config.substituters().isEmpty()) {
                env.put("CUMULUS_SUBSTITUTERS", String.join(" ", config.substituters()));
            }
            if (access.announces()) {
                env.put("CUMULUS_EVENT_BUS", "default");
            }
            if (access.signs()) {
                env.put("CUMULUS_SIGNING_KEY_SECRET", keys.signingKey().getSecretArn());
                env.put("CUMULUS_SIGNING_KEY_NAME", config.signingKeyName());
                env.put("CUMULUS_NAR_COMPRESSION", config.narCompression());
            }
            // The JIT's first tier starts fastest; a function's work is short and mostly waits on DynamoDB.
            env.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");
            Function fn = Function.Builder.create(this, logicalId)
                    .functionName(config.prefix() + name)
                    .description(name.equals(FunctionAccess.DASHBOARD) ? "Cumulus dashboard" : "Cumulus store function " + name)
                    .runtime(Runtime.JAVA_21)
                    .architecture(Architecture.X86_64)
                    .handler(HANDLER)
                    .code(code)
                    .memorySize(memoryMb(name, config))
                    .timeout(timeout(name))
                    .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
                    .environment(env)
                    .logGroup(logs)
                    .build();
            // The alias below publishes a version, which is what SnapStart snapshots.
            Annotations.of(fn).acknowledgeWarning("@aws-cdk/aws-lambda:snapStartRequirePublish",
                    "callers invoke the '" + ALIAS + "' alias of the current published version");
            grant(fn, access, data);
            if (name.equals(FunctionAccess.BINARY_CACHE_INGEST)) {
                data.uploads().grantReadWrite(fn); // reads uploads, moves rejected ones aside
                data.uploads().grantDelete(fn);
            }
            if (access.signs()) {
                keys.signingKey().grantRead(fn);
            }
            if (access.readsSubstituters()) {
                grantSubstituterBuckets(fn, config);
            }
            if (access.announces()) {
                fn.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                        .actions(List.of("events:PutEvents"))
                        .resources(List.of("arn:" + software.amazon.awscdk.Aws.PARTITION + ":events:" + software.amazon.awscdk.Aws.REGION
                                + ":" + software.amazon.awscdk.Aws.ACCOUNT_ID + ":event-bus/default")).build());
            }
            Alias alias = Alias.Builder.create(this, logicalId + "Live").aliasName(ALIAS).version(fn.getCurrentVersion()).build();
            functions.put(name, fn);
            aliases.put(name, alias);
        }

        aliases.get(StoreFunction.FAIL_DEAD_LETTERED_BUILDS.name()).addEventSource(
                SqsEventSource.Builder.create(data.queue(CloudResources.BUILD_REQUESTS_DEAD))
                        .batchSize(10).reportBatchItemFailures(true).build());
        // One submission per invocation: walking a large graph takes a while.
        aliases.get(StoreFunction.SUBMIT_GRAPHS.name()).addEventSource(
                SqsEventSource.Builder.create(data.queue(CloudResources.BUILD_SUBMISSIONS))
                        .batchSize(1).reportBatchItemFailures(true).build());
        // One job per invocation: a job may run for minutes, and its message's visibility covers one.
        aliases.get(StoreFunction.SUBSTITUTE.name()).addEventSource(
                SqsEventSource.Builder.create(data.queue(CloudResources.SUBSTITUTION_JOBS))
                        .batchSize(1).reportBatchItemFailures(true).build());
        // One step per invocation: a step is sized to take one, and steps of a stage run side by side,
        // but no more than COLLECTION_STEPS_AT_ONCE: a large store's thousands of mark and delete steps
        // must not take the account's Lambda concurrency from the functions that serve clients.
        aliases.get(StoreFunction.COLLECTION_STEPS.name()).addEventSource(
                SqsEventSource.Builder.create(data.queue(CloudResources.COLLECTION_STEPS))
                        .batchSize(1).maxConcurrency(COLLECTION_STEPS_AT_ONCE).reportBatchItemFailures(true).build());
        // The dashboard's URL, for those the account's IAM lets invoke it (lambda:InvokeFunctionUrl): nothing public.
        dashboardUrl = aliases.get(FunctionAccess.DASHBOARD).addFunctionUrl(FunctionUrlOptions.builder()
                .authType(FunctionUrlAuthType.AWS_IAM).build());
        // Uploaded narinfos and realisations (both layouts end in .doi) become store paths and
        // realisations; the store bucket, written by Cumulus alone, notifies nobody.
        for (String suffix : List.of(".narinfo", ".doi")) {
            data.uploads().addEventNotification(EventType.OBJECT_CREATED,
                    new LambdaDestination(aliases.get(FunctionAccess.BINARY_CACHE_INGEST)),
                    NotificationKeyFilter.builder().suffix(suffix).build());
        }
    }

    /**
     * The store function's own timeout; ingesting an uploaded narinfo registers a path, as registration
     * does; a dashboard page is a few queries.
     */
    private static Duration timeout(String name) {
        java.time.Duration timeout = name.equals(FunctionAccess.BINARY_CACHE_INGEST) ? StoreFunction.REGISTER_PATHS.timeout()
                : name.equals(FunctionAccess.DASHBOARD) ? java.time.Duration.ofSeconds(30) : StoreFunction.named(name).timeout();
        return Duration.seconds(timeout.toSeconds());
    }

    /**
     * The function's memory: substitutions get 2,048 MB at least, a collection's steps
     * {@code collectionMemoryMb} (its plan holds the store's scan), the rest {@code lambdaMemoryMb}.
     */
    private static int memoryMb(String name, InfraConfig config) {
        if (name.equals(StoreFunction.SUBSTITUTE.name())) {
            return Math.max(2048, config.lambdaMemoryMb());
        }
        return name.equals(StoreFunction.COLLECTION_STEPS.name()) ? config.collectionMemoryMb() : config.lambdaMemoryMb();
    }

    /** Reading the substituters that are S3 buckets ({@code s3://BUCKET?…}); HTTP ones need no grant. */
    private static void grantSubstituterBuckets(Function fn, InfraConfig config) {
        List<String> objects = config.substituters().stream().filter(s -> s.startsWith("s3://"))
                .map(s -> java.net.URI.create(s).getHost()).map(b -> "arn:" + software.amazon.awscdk.Aws.PARTITION + ":s3:::" + b + "/*")
                .toList();
        if (!objects.isEmpty()) {
            fn.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                    .actions(List.of("s3:GetObject")).resources(objects).build());
        }
    }

    private static void grant(IGrantable fn, FunctionAccess access, StoreData data) {
        for (Map.Entry<TableSpec, FunctionAccess.Level> e : access.tables().entrySet()) {
            if (e.getValue() == FunctionAccess.Level.READ) {
                data.table(e.getKey()).grantReadData(fn);
            } else {
                data.table(e.getKey()).grantReadWriteData(fn);
            }
        }
        switch (access.bucket()) {
            case NONE -> { }
            case READ -> data.bucket().grantRead(fn);
            case READ_WRITE_DELETE -> {
                data.bucket().grantReadWrite(fn);
                data.bucket().grantDelete(fn);
            }
        }
        for (QueueSpec q : access.sendsTo()) {
            if (q.equals(FunctionAccess.RUNNER_POOL_QUEUES)) {
                // One statement for every pool's queues: a grant per queue would outgrow the role's inline policy.
                fn.getGrantPrincipal().addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                        .actions(List.of("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"))
                        .resources(data.buildQueues().stream().map(software.amazon.awscdk.services.sqs.Queue::getQueueArn).toList())
                        .build());
            } else {
                data.queue(q).grantSendMessages(fn);
            }
        }
    }

    public Alias alias(StoreFunction<?, ?> function) {
        return aliases.get(function.name());
    }

    /** The dashboard's function URL (IAM-authenticated). */
    public FunctionUrl dashboardUrl() {
        return dashboardUrl;
    }

    public Map<String, Function> functions() {
        return functions;
    }
}
