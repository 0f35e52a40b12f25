package dev.cumulus.functions.tables;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The store's totals: how many paths are valid and how many NAR bytes they hold, as counters a
 * registration adds to once it committed and a collection takes from once it deleted. They are
 * spread over {@value #SHARDS} items, each write to one at random, so that no item takes every
 * registration's write; a reader sums them. A process that dies between a commit and its count
 * leaves the totals off by that batch.
 */
public final class StoreStatsTable {
    static final int SHARDS = 8;
    private static final String PREFIX = "totals#";

    private final DynamoDbClient db;
    private final String table;

    public StoreStatsTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    public record Totals(long paths, long narBytes) {}

    /** Adds {@code paths} and {@code narBytes} (negative: takes them) to the totals. */
    public void add(long paths, long narBytes) {
        if (paths == 0 && narBytes == 0) {
            return;
        }
        String shard = PREFIX + ThreadLocalRandom.current().nextInt(SHARDS);
        db.updateItem(u -> u.tableName(table).key(Map.of("id", AttributeValue.fromS(shard)))
                .updateExpression("ADD #p :p, #b :b").expressionAttributeNames(Map.of("#p", "paths", "#b", "narBytes"))
                .expressionAttributeValues(Map.of(":p", Attributes.num(paths), ":b", Attributes.num(narBytes))));
    }

    /** The totals: one read of every shard. */
    public Totals totals() {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = 0; i < SHARDS; i++) {
            keys.add(Map.of("id", AttributeValue.fromS(PREFIX + i)));
        }
        long paths = 0;
        long bytes = 0;
        for (Map<String, AttributeValue> item : BatchCalls.getAll(db, table, keys, null, Map.of())) {
            paths += item.containsKey("paths") ? Attributes.number(item, "paths") : 0;
            bytes += item.containsKey("narBytes") ? Attributes.number(item, "narBytes") : 0;
        }
        return new Totals(paths, bytes);
    }
}
