package dev.cumulus.localstack;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.resources.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveSpecification;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Creates {@link CloudResources} through the SDK: what infra deploys with the CDK, for the local stack
 * or any emulator. Creating what already exists is fine (a restart over a state directory).
 */
public final class ResourceCreator {
    private ResourceCreator() {}

    public static void createAll(AwsClients clients, String prefix, List<String> pools) {
        try (DynamoDbClient dynamoDb = clients.dynamoDb(); SqsClient sqs = clients.sqs(); S3Client s3 = clients.s3()) {
            CloudResources.TABLES.forEach(t -> createTable(dynamoDb, t, prefix));
            Map<String, String> arns = new HashMap<>();
            CloudResources.queues(pools).forEach(q -> arns.put(q.name(), createQueue(sqs, q, prefix, arns)));
            for (var bucket : List.of(CloudResources.STORE_BUCKET, CloudResources.UPLOADS_BUCKET)) {
                try {
                    s3.createBucket(b -> b.bucket(bucket.physicalName(prefix)));
                } catch (BucketAlreadyOwnedByYouException | BucketAlreadyExistsException exists) {
                    // kept from an earlier start
                }
            }
        }
    }

    static void createTable(DynamoDbClient dynamoDb, TableSpec spec, String prefix) {
        Map<String, AttributeDefinition> attributes = new LinkedHashMap<>();
        List<KeySchemaElement> keys = keySchema(spec.partitionKey(), spec.sortKey().orElse(null), attributes);
        List<GlobalSecondaryIndex> indexes = new ArrayList<>();
        for (TableSpec.Index index : spec.indexes()) {
            indexes.add(GlobalSecondaryIndex.builder().indexName(index.name())
                    .keySchema(keySchema(index.partitionKey(), index.sortKey().orElse(null), attributes))
                    .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build());
        }
        CreateTableRequest.Builder request = CreateTableRequest.builder().tableName(spec.physicalName(prefix))
                .keySchema(keys).attributeDefinitions(attributes.values()).billingMode(BillingMode.PAY_PER_REQUEST);
        if (!indexes.isEmpty()) {
            request.globalSecondaryIndexes(indexes);
        }
        try {
            dynamoDb.createTable(request.build());
        } catch (ResourceInUseException exists) {
            return;
        }
        spec.ttlAttribute().ifPresent(ttl -> dynamoDb.updateTimeToLive(u -> u.tableName(spec.physicalName(prefix))
                .timeToLiveSpecification(TimeToLiveSpecification.builder().attributeName(ttl).enabled(true).build())));
    }

    private static List<KeySchemaElement> keySchema(TableSpec.Key partition, TableSpec.Key sort,
                                                    Map<String, AttributeDefinition> attributes) {
        List<KeySchemaElement> keys = new ArrayList<>();
        keys.add(KeySchemaElement.builder().attributeName(partition.name()).keyType(KeyType.HASH).build());
        attributes.put(partition.name(), definition(partition));
        if (sort != null) {
            keys.add(KeySchemaElement.builder().attributeName(sort.name()).keyType(KeyType.RANGE).build());
            attributes.put(sort.name(), definition(sort));
        }
        return keys;
    }

    private static AttributeDefinition definition(TableSpec.Key key) {
        ScalarAttributeType type = switch (key.type()) {
            case STRING -> ScalarAttributeType.S;
            case NUMBER -> ScalarAttributeType.N;
            case BINARY -> ScalarAttributeType.B;
        };
        return AttributeDefinition.builder().attributeName(key.name()).attributeType(type).build();
    }

    /** Returns the queue's ARN, for the redrive policies of the queues created after it. */
    /**
     * The attributes the local stack creates {@code spec}'s queue with ({@code arns}: the queues'
     * ARNs by name, for the redrive target): what a comparison with the template falls back on where
     * the emulator does not report an attribute back.
     */
    public static Map<QueueAttributeName, String> queueAttributes(QueueSpec spec, Map<String, String> arns) {
        Map<QueueAttributeName, String> attributes = new HashMap<>();
        attributes.put(QueueAttributeName.VISIBILITY_TIMEOUT, Long.toString(spec.visibilityTimeout().toSeconds()));
        attributes.put(QueueAttributeName.MESSAGE_RETENTION_PERIOD, Long.toString(spec.retention().toSeconds()));
        spec.deadLetterQueue().ifPresent(dlq -> attributes.put(QueueAttributeName.REDRIVE_POLICY,
                "{\"deadLetterTargetArn\":\"" + arns.get(dlq) + "\",\"maxReceiveCount\":\"" + spec.maxReceiveCount() + "\"}"));
        return attributes;
    }

    static String createQueue(SqsClient sqs, QueueSpec spec, String prefix, Map<String, String> arns) {
        Map<QueueAttributeName, String> attributes = queueAttributes(spec, arns);
        String url = sqs.createQueue(q -> q.queueName(spec.physicalName(prefix)).attributes(attributes)).queueUrl();
        return sqs.getQueueAttributes(g -> g.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN)).attributes()
                .get(QueueAttributeName.QUEUE_ARN);
    }
}
