package dev.cumulus.infra;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.resources.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.ProjectionType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.iam.AnyPrincipal;
import software.amazon.awscdk.services.iam.ManagedPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * The installation's state: every table, queue and bucket of {@link CloudResources}, the one
 * definition the local stack creates too. Tables and the store bucket are kept when the stack is
 * deleted.
 *
 * <p>Only Cumulus's roles are granted writes to the store bucket; binary-cache uploads go to the
 * uploads bucket, whose writers get {@link #uploaders()}, and reach the store only through the
 * ingest function's checks. So no upload can replace or remove what the store serves.
 */
public final class StoreData extends Construct {
    private final Map<TableSpec, Table> tables = new LinkedHashMap<>();
    private final Map<QueueSpec, Queue> queues = new LinkedHashMap<>();
    /** The runner pools, whose build queues these are. */
    private final List<String> pools;
    private final Bucket bucket;
    private final Bucket uploads;
    private final ManagedPolicy uploaders;

    public StoreData(Construct scope, String id, InfraConfig config) {
        super(scope, id);
        for (TableSpec spec : CloudResources.TABLES) {
            tables.put(spec, table(spec, config.prefix()));
        }
        Map<String, Queue> byName = new LinkedHashMap<>();
        pools = config.runnerPools().names();
        for (QueueSpec spec : CloudResources.queues(pools)) {
            Queue.Builder q = Queue.Builder.create(this, logicalId(spec.name()))
                    .queueName(spec.physicalName(config.prefix()))
                    .visibilityTimeout(Duration.seconds(spec.visibilityTimeout().toSeconds()))
                    .retentionPeriod(Duration.seconds(spec.retention().toSeconds()))
                    .encryption(QueueEncryption.SQS_MANAGED)
                    .enforceSsl(true);
            spec.deadLetterQueue().ifPresent(dlq -> q.deadLetterQueue(DeadLetterQueue.builder()
                    .queue(byName.get(dlq)).maxReceiveCount(spec.maxReceiveCount()).build()));
            Queue queue = q.build();
            byName.put(spec.name(), queue);
            queues.put(spec, queue);
        }

        // S3's own access log of the store bucket, for audits of who read or wrote what.
        Bucket accessLogs = Bucket.Builder.create(this, "AccessLogs")
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .lifecycleRules(List.of(LifecycleRule.builder().id("expire-access-logs")
                        .expiration(Duration.days(config.buildLogRetentionDays())).build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();

        boolean publicBucket = config.publicCache() == InfraConfig.PublicCache.BUCKET;
        bucket = Bucket.Builder.create(this, "Store")
                .bucketName(CloudResources.STORE_BUCKET.physicalName(config.prefix()))
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(publicBucket
                        ? BlockPublicAccess.Builder.create().blockPublicAcls(true).ignorePublicAcls(true)
                                .blockPublicPolicy(false).restrictPublicBuckets(false).build()
                        : BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .serverAccessLogsBucket(accessLogs)
                .serverAccessLogsPrefix("store/")
                .lifecycleRules(List.of(
                        LifecycleRule.builder().id("abort-incomplete-uploads")
                                .abortIncompleteMultipartUploadAfter(Duration.days(
                                        CloudResources.STORE_BUCKET.abortIncompleteUploadsAfterDays())).build(),
                        LifecycleRule.builder().id("expire-build-logs").prefix(BinaryCacheLayout.LOG_PREFIX)
                                .expiration(Duration.days(config.buildLogRetentionDays())).build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        uploads = Bucket.Builder.create(this, "Uploads")
                .bucketName(CloudResources.UPLOADS_BUCKET.physicalName(config.prefix()))
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .serverAccessLogsBucket(accessLogs)
                .serverAccessLogsPrefix("uploads/")
                // The ingest copies what it accepts into the store; what is left (NAR files, what it
                // rejected, what it is still waiting to register) is gone after a day.
                .lifecycleRules(List.of(LifecycleRule.builder().id("expire-uploads")
                        .expiration(Duration.days(CloudResources.UPLOADS_EXPIRE_AFTER_DAYS))
                        .abortIncompleteMultipartUploadAfter(Duration.days(
                                CloudResources.UPLOADS_BUCKET.abortIncompleteUploadsAfterDays())).build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        // Nix's S3 binary cache store reads nix-cache-info and narinfos (a missing one must answer
        // 404, which takes ListBucket), and writes with single or multipart uploads.
        uploaders = ManagedPolicy.Builder.create(this, "Uploaders")
                .description("nix copy --to s3://" + CloudResources.UPLOADS_BUCKET.physicalName(config.prefix())
                        + ": binary-cache uploads, which Cumulus's ingest checks before they enter the store")
                .statements(List.of(
                        PolicyStatement.Builder.create().actions(List.of("s3:ListBucket", "s3:GetBucketLocation"))
                                .resources(List.of(uploads.getBucketArn())).build(),
                        PolicyStatement.Builder.create().actions(List.of("s3:GetObject", "s3:PutObject",
                                        "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"))
                                .resources(List.of(uploads.arnForObjects("*"))).build()))
                .build();
        if (publicBucket) {
            // What a Nix client reads from a binary cache; build logs and everything else stay private.
            bucket.addToResourcePolicy(PolicyStatement.Builder.create()
                    .sid("PublicBinaryCacheRead")
                    .principals(List.of(new AnyPrincipal()))
                    .actions(List.of("s3:GetObject"))
                    .resources(List.of(bucket.arnForObjects("nix-cache-info"), bucket.arnForObjects("*.narinfo"),
                            bucket.arnForObjects("nar/*"), bucket.arnForObjects("realisations/*"),
                            bucket.arnForObjects("build-trace-v2/*")))
                    .build());
        }
    }

    private Table table(TableSpec spec, String prefix) {
        Table.Builder t = Table.Builder.create(this, logicalId(spec.name()))
                .tableName(spec.physicalName(prefix))
                .partitionKey(attribute(spec.partitionKey()))
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
                        .pointInTimeRecoveryEnabled(true).build())
                .removalPolicy(RemovalPolicy.RETAIN);
        spec.sortKey().ifPresent(k -> t.sortKey(attribute(k)));
        spec.ttlAttribute().ifPresent(t::timeToLiveAttribute);
        Table table = t.build();
        for (TableSpec.Index index : spec.indexes()) {
            GlobalSecondaryIndexProps.Builder i = GlobalSecondaryIndexProps.builder().indexName(index.name())
                    .partitionKey(attribute(index.partitionKey())).projectionType(ProjectionType.ALL);
            index.sortKey().ifPresent(k -> i.sortKey(attribute(k)));
            table.addGlobalSecondaryIndex(i.build());
        }
        return table;
    }

    private static Attribute attribute(TableSpec.Key key) {
        AttributeType type = switch (key.type()) {
            case STRING -> AttributeType.STRING;
            case NUMBER -> AttributeType.NUMBER;
            case BINARY -> AttributeType.BINARY;
        };
        return Attribute.builder().name(key.name()).type(type).build();
    }

    /** {@code derivation-outputs} → {@code DerivationOutputs}: logical ids that read like the names. */
    static String logicalId(String name) {
        StringBuilder out = new StringBuilder();
        for (String part : name.split("-")) {
            out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return out.toString();
    }

    public Table table(TableSpec spec) {
        return tables.get(spec);
    }

    /** Every runner pool's two build queues. */
    public List<Queue> buildQueues() {
        return pools.stream().flatMap(p -> java.util.stream.Stream.of(queue(CloudResources.buildRequests(p)),
                queue(CloudResources.batchBuildRequests(p)))).toList();
    }

    public Queue queue(QueueSpec spec) {
        return queues.get(spec);
    }

    public Bucket bucket() {
        return bucket;
    }

    public Bucket uploads() {
        return uploads;
    }

    /** What a writer of binary-cache uploads needs ({@code nix copy --to s3://<uploads bucket>}), and nothing more. */
    public ManagedPolicy uploaders() {
        return uploaders;
    }
}
