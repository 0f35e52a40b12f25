package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.ResourceCreator;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.QueueSpec;
import dev.cumulus.model.resources.TableSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The tables, queues and bucket the template deploys are the ones {@code ./cumulus local} creates:
 * each table's keys, attribute types, indexes, billing and TTL, each queue's timeouts and redrive,
 * the bucket's name, read from the running local stack and from the template, attribute for attribute.
 */
class LocalStackMatchTest {

    @Test
    void theTemplateDeploysWhatTheLocalStackCreates() throws Exception {
        Map<String, Map<String, Object>> resources = cast(Synthesised.with(Map.of("prefix", "cumulus-")).template()
                .toJSON().get("Resources"));
        List<String> pools = dev.cumulus.model.build.RunnerPools.parse(InfraConfig.DEFAULT_RUNNER_POOLS, 1).names();
        try (LocalStack local = LocalStack.start(Optional.empty(), "cumulus-", pools)) {
            AwsClients clients = new AwsClients(local.config());
            try (DynamoDbClient dynamoDb = clients.dynamoDb(); SqsClient sqs = clients.sqs(); var s3 = clients.s3()) {
                for (TableSpec spec : CloudResources.TABLES) {
                    String name = spec.physicalName("cumulus-");
                    TableDescription t = dynamoDb.describeTable(d -> d.tableName(name)).table();
                    String ttl = dynamoDb.describeTimeToLive(d -> d.tableName(name)).timeToLiveDescription().attributeName();
                    Map<String, Object> fromLocal = new TreeMap<>();
                    fromLocal.put("KeySchema", t.keySchema().stream()
                            .map(k -> Map.of("AttributeName", k.attributeName(), "KeyType", k.keyTypeAsString())).toList());
                    fromLocal.put("AttributeDefinitions", sorted(t.attributeDefinitions().stream()
                            .map(a -> Map.of("AttributeName", a.attributeName(), "AttributeType", a.attributeTypeAsString())).toList()));
                    fromLocal.put("GlobalSecondaryIndexes", t.globalSecondaryIndexes().stream().map(i -> Map.of(
                            "IndexName", i.indexName(),
                            "KeySchema", i.keySchema().stream().map(k -> Map.of("AttributeName", k.attributeName(),
                                    "KeyType", k.keyTypeAsString())).toList(),
                            "Projection", Map.of("ProjectionType", i.projection().projectionTypeAsString()))).toList());
                    fromLocal.put("BillingMode", t.billingModeSummary().billingModeAsString());
                    fromLocal.put("TimeToLive", ttl == null ? "none" : ttl);

                    Map<String, Object> p = tableProperties(resources, name);
                    Map<String, Object> fromTemplate = new TreeMap<>();
                    fromTemplate.put("KeySchema", p.get("KeySchema"));
                    fromTemplate.put("AttributeDefinitions", sorted(cast(p.get("AttributeDefinitions"))));
                    fromTemplate.put("GlobalSecondaryIndexes", p.getOrDefault("GlobalSecondaryIndexes", List.of()));
                    fromTemplate.put("BillingMode", p.get("BillingMode"));
                    fromTemplate.put("TimeToLive", p.get("TimeToLiveSpecification") instanceof Map<?, ?> ttlSpec
                            ? ttlSpec.get("AttributeName") : "none");
                    assertEquals(fromLocal, fromTemplate, name);
                }
                for (QueueSpec spec : CloudResources.queues(pools)) {
                    String name = spec.physicalName("cumulus-");
                    String url = sqs.getQueueUrl(g -> g.queueName(name)).queueUrl();
                    var attributes = sqs.getQueueAttributes(g -> g.queueUrl(url).attributeNames(QueueAttributeName.VISIBILITY_TIMEOUT,
                                    QueueAttributeName.MESSAGE_RETENTION_PERIOD, QueueAttributeName.REDRIVE_POLICY))
                            .attributes();
                    Map<String, Object> fromLocal = new TreeMap<>();
                    fromLocal.put("VisibilityTimeout", Integer.parseInt(attributes.get(QueueAttributeName.VISIBILITY_TIMEOUT)));
                    // ElasticMQ takes MessageRetentionPeriod but does not report it back: where it is silent,
                    // compare with what the local stack creates the queue with.
                    String retention = attributes.get(QueueAttributeName.MESSAGE_RETENTION_PERIOD);
                    fromLocal.put("MessageRetentionPeriod", Integer.parseInt(retention != null ? retention
                            : ResourceCreator.queueAttributes(spec, Map.of()).get(QueueAttributeName.MESSAGE_RETENTION_PERIOD)));
                    String redrive = attributes.get(QueueAttributeName.REDRIVE_POLICY);
                    fromLocal.put("Redrive", redrive == null ? "none" : redrive.replaceAll(".*:([a-z-]+)\".*\"maxReceiveCount\":\"?(\\d+)\"?.*", "$1 after $2"));

                    Map<String, Object> p = properties(resources, "AWS::SQS::Queue", "QueueName", name);
                    Map<String, Object> fromTemplate = new TreeMap<>();
                    fromTemplate.put("VisibilityTimeout", p.get("VisibilityTimeout"));
                    fromTemplate.put("MessageRetentionPeriod", p.get("MessageRetentionPeriod"));
                    Object redrivePolicy = p.get("RedrivePolicy");
                    Map<String, Object> redriveMap = cast(redrivePolicy);
                    fromTemplate.put("Redrive", redrivePolicy == null ? "none" : queueNameOf(resources, redriveMap)
                            + " after " + redriveMap.get("maxReceiveCount"));
                    assertEquals(fromLocal, fromTemplate, name);
                }
                // The same buckets: the local stack's and the template's named ones (the access log's has no name).
                assertEquals(new java.util.TreeSet<>(s3.listBuckets().buckets().stream()
                                .map(software.amazon.awssdk.services.s3.model.Bucket::name).toList()),
                        new java.util.TreeSet<>(resources.values().stream().filter(r -> "AWS::S3::Bucket".equals(r.get("Type")))
                                .map(r -> CumulusStackTest.props(r).get("BucketName")).filter(java.util.Objects::nonNull)
                                .map(Object::toString).toList()));
            }
        }
    }

    private static Map<String, Object> tableProperties(Map<String, Map<String, Object>> resources, String name) {
        return properties(resources, "AWS::DynamoDB::Table", "TableName", name);
    }

    private static Map<String, Object> properties(Map<String, Map<String, Object>> resources, String type, String nameKey,
                                                  String name) {
        return resources.values().stream().filter(r -> type.equals(r.get("Type")))
                .map(r -> CumulusStackTest.props(r)).filter(p -> name.equals(p.get(nameKey))).findFirst()
                .orElseThrow(() -> new AssertionError("the template has no " + type + " named " + name));
    }

    /** The name of the queue a redrive policy's {@code Fn::GetAtt [Queue, Arn]} points at. */
    private static String queueNameOf(Map<String, Map<String, Object>> resources, Map<String, Object> redrive) {
        Map<String, Object> target = cast(redrive.get("deadLetterTargetArn"));
        String logicalId = ((List<?>) target.get("Fn::GetAtt")).get(0).toString();
        return CumulusStackTest.props(resources.get(logicalId)).get("QueueName").toString();
    }

    private static List<Map<String, Object>> sorted(List<? extends Map<String, ?>> list) {
        List<Map<String, Object>> out = new ArrayList<>();
        list.forEach(m -> out.add(new LinkedHashMap<>(m)));
        out.sort(Comparator.comparing(m -> m.get("AttributeName").toString()));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
