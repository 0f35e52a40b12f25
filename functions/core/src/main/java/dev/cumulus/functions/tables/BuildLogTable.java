package dev.cumulus.functions.tables;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Builds' logs as runners send them: one item per chunk of lines, keyed by build and a sequence
 * number that orders chunks across attempts, so a waiting client reads what is new with one Query.
 */
public final class BuildLogTable {
    private final DynamoDbClient db;
    private final String table;

    public BuildLogTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** Stores a chunk; sending the same chunk again (a retried call) overwrites it with itself. */
    public void put(String build, long seq, List<String> lines, long expiresAt) {
        db.putItem(p -> p.tableName(table).item(Map.of(
                "build", AttributeValue.fromS(build),
                "seq", Attributes.num(seq),
                "lines", Attributes.list(lines),
                "expiresAt", Attributes.num(expiresAt))));
    }

    public record Lines(List<String> lines, long next) {}

    /** The lines of the chunks from {@code from} on, and the sequence number to read from next. */
    public Lines read(String build, long from) {
        List<String> lines = new ArrayList<>();
        long next = from;
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> exclusiveStart = start;
            QueryResponse r = db.query(q -> {
                q.tableName(table).consistentRead(true)
                        .keyConditionExpression("#b = :b AND seq >= :f")
                        .expressionAttributeNames(Map.of("#b", "build"))
                        .expressionAttributeValues(Map.of(":b", AttributeValue.fromS(build), ":f", Attributes.num(from)));
                if (exclusiveStart != null) {
                    q.exclusiveStartKey(exclusiveStart);
                }
            });
            for (Map<String, AttributeValue> item : r.items()) {
                lines.addAll(Attributes.strings(item, "lines"));
                next = Attributes.number(item, "seq") + 1;
            }
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        return new Lines(lines, next);
    }
}
