package dev.cumulus.functions.tables;

import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The derivation-outputs table: one item per output of a {@code .drv} in the store, with the
 * output's path when the derivation fixes it. Its {@code by-path} index finds the derivations that
 * produce a path. Like referrer edges, items are written before the {@code .drv}'s registration
 * commits or with it, so readers keep only valid derivations.
 */
public final class DerivationOutputsTable {
    public static final String BY_PATH = "by-path";

    private final DynamoDbClient db;
    private final String table;

    public DerivationOutputsTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** A derivation's outputs by name; an empty path is a floating (content-addressed) output. */
    public record Outputs(StorePath drv, SortedMap<String, Optional<StorePath>> outputs) {}

    public void put(List<Outputs> derivations) {
        BatchCalls.putAll(db, table, items(derivations));
    }

    /** The same items as puts for a transaction. */
    public List<TransactWriteItem> puts(List<Outputs> derivations) {
        return BatchCalls.transactPuts(table, items(derivations));
    }

    private static List<Map<String, AttributeValue>> items(List<Outputs> derivations) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        for (Outputs d : derivations) {
            d.outputs().forEach((name, path) -> {
                var item = new java.util.HashMap<String, AttributeValue>();
                item.put("drv", AttributeValue.fromS(d.drv().baseName()));
                item.put("output", AttributeValue.fromS(name));
                path.ifPresent(p -> item.put("path", AttributeValue.fromS(p.baseName())));
                items.add(item);
            });
        }
        return items;
    }

    public SortedMap<String, Optional<StorePath>> outputs(StorePath drv) {
        SortedMap<String, Optional<StorePath>> out = new TreeMap<>();
        QueryPages.forEach(db, q -> q.tableName(table).keyConditionExpression("drv = :d")
                .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(drv.baseName()))).consistentRead(true),
                i -> out.put(Attributes.string(i, "output"),
                        Attributes.optionalString(i, "path").map(StorePath::parseBaseName)));
        return out;
    }

    /** The derivations recorded as producing {@code path}, valid or not. */
    public List<StorePath> derivers(StorePath path) {
        List<StorePath> out = new ArrayList<>();
        QueryPages.forEach(db, q -> q.tableName(table).indexName(BY_PATH).keyConditionExpression("#p = :p")
                .expressionAttributeNames(Map.of("#p", "path"))
                .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(path.baseName()))),
                i -> out.add(StorePath.parseBaseName(Attributes.string(i, "drv"))));
        return out;
    }

    /** A transaction's deletes of a derivation's recorded outputs. */
    public List<TransactWriteItem> deletes(StorePath drv) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        outputs(drv).keySet().forEach(name -> keys.add(Map.of("drv", AttributeValue.fromS(drv.baseName()),
                "output", AttributeValue.fromS(name))));
        return BatchCalls.transactDeletes(table, keys);
    }
}
