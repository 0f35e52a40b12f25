package dev.cumulus.functions.tables;

import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The referrers table: one item (referenced path, referrer) per reference edge. Edges are written
 * before their referrer's registration commits, or in its transaction, and never say more than the
 * referrer's own item, so readers keep only referrers that are valid.
 */
public final class ReferrersTable {
    private final DynamoDbClient db;
    private final String table;

    public ReferrersTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** Writes the edges of each path's references, self-references included (as Nix keeps them). */
    public void putEdges(Collection<PathInfo> infos) {
        BatchCalls.putAll(db, table, edges(infos));
    }

    /** The same edges as puts for a transaction. */
    public List<TransactWriteItem> edgePuts(Collection<PathInfo> infos) {
        return BatchCalls.transactPuts(table, edges(infos));
    }

    private static List<Map<String, AttributeValue>> edges(Collection<PathInfo> infos) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        for (PathInfo info : infos) {
            for (StorePath ref : info.references()) {
                items.add(Map.of("path", AttributeValue.fromS(ref.baseName()),
                        "referrer", AttributeValue.fromS(info.path().baseName())));
            }
        }
        return items;
    }

    /** Every recorded referrer of {@code path}, valid or not. */
    public List<StorePath> referrers(StorePath path) {
        List<StorePath> out = new ArrayList<>();
        QueryPages.forEach(db, q -> q.tableName(table).keyConditionExpression("#p = :p")
                        .expressionAttributeNames(Map.of("#p", "path"))
                        .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(path.baseName()))).consistentRead(true),
                i -> out.add(StorePath.parseBaseName(Attributes.string(i, "referrer"))));
        return out;
    }

    /**
     * The recorded referrers of each of {@code paths}, valid or not: one query each, several at once
     * (DynamoDB has no batch query).
     */
    public Map<StorePath, List<StorePath>> referrersOfAll(List<StorePath> paths) {
        List<Map.Entry<StorePath, List<StorePath>>> each = BatchCalls.inChunks(paths, 1, QUERIES_AT_ONCE,
                "querying referrers on " + table, one -> List.of(Map.entry(one.getFirst(), referrers(one.getFirst()))));
        Map<StorePath, List<StorePath>> out = new java.util.HashMap<>();
        each.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static final int QUERIES_AT_ONCE = 16;

    /**
     * Removes the edges of deleted paths' references: in transactions of up to
     * {@value BatchCalls#TRANSACTION_LIMIT} unconditional deletes, several at once (against DynamoDB
     * Local, four times fewer calls than batch writes of 25, which were most of a collection's time).
     */
    public void deleteEdges(Collection<PathInfo> infos) {
        BatchCalls.inChunks(edges(infos), BatchCalls.TRANSACTION_LIMIT, BatchCalls.WRITES_AT_ONCE, "deleting edges on " + table,
                chunk -> {
                    BatchCalls.transactOrFailedConditions(db, chunk.stream().map(key -> TransactWriteItem.builder()
                            .delete(software.amazon.awssdk.services.dynamodb.model.Delete.builder().tableName(table).key(key)
                                    .build()).build()).toList(), "deleting edges on " + table);
                    return List.of();
                });
    }
}
