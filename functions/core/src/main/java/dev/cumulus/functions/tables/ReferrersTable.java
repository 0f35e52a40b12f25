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
     * The recorded referrers of each of {@code paths}, valid or not, read consistently. For a few
     * paths, one query each (DynamoDB has no batch query), several at once; for more than one per
     * {@value #EDGES_PER_SCAN_PAGE} of the {@code edges} the table holds (about), one parallel scan of
     * the table instead, whose every call reads a page of thousands of edges.
     */
    public Map<StorePath, List<StorePath>> referrersOfAll(List<StorePath> paths, long edges) {
        Map<StorePath, List<StorePath>> out = new java.util.HashMap<>();
        if (paths.size() > edges / EDGES_PER_SCAN_PAGE) {
            Map<String, StorePath> wanted = new java.util.HashMap<>();
            paths.forEach(p -> wanted.put(p.baseName(), p));
            QueryPages.scanAll(db, table, i -> {
                StorePath path = wanted.get(Attributes.string(i, "path"));
                if (path != null) {
                    out.computeIfAbsent(path, k -> new ArrayList<>())
                            .add(StorePath.parseBaseName(Attributes.string(i, "referrer")));
                }
            });
            paths.forEach(p -> out.putIfAbsent(p, List.of()));
            return out;
        }
        List<Map.Entry<StorePath, List<StorePath>>> each = ChunkedWork.inChunks(paths, 1, QUERIES_AT_ONCE,
                "querying referrers on " + table, one -> List.of(Map.entry(one.getFirst(), referrers(one.getFirst()))));
        each.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** About how many edges one page of a scan holds (1 MB of items of about 150 bytes), with a margin. */
    static final long EDGES_PER_SCAN_PAGE = 2_000;

    private static final int QUERIES_AT_ONCE = 16;

    /**
     * Removes the edges of deleted paths' references: in transactions of up to
     * {@value BatchCalls#TRANSACTION_LIMIT} unconditional deletes, several at once (against DynamoDB
     * Local, four times fewer calls than batch writes of 25, which were most of a collection's time).
     */
    public void deleteEdges(Map<StorePath, ? extends Collection<StorePath>> referencesByReferrer) {
        List<Map<String, AttributeValue>> edges = new ArrayList<>();
        referencesByReferrer.forEach((referrer, references) -> references.forEach(ref -> edges.add(Map.of(
                "path", AttributeValue.fromS(ref.baseName()), "referrer", AttributeValue.fromS(referrer.baseName())))));
        ChunkedWork.inChunks(edges, BatchCalls.TRANSACTION_LIMIT, BatchCalls.WRITES_AT_ONCE, "deleting edges on " + table,
                chunk -> {
                    BatchCalls.transactOrFailedConditions(db, BatchCalls.transactDeletes(table, chunk),
                            "deleting edges on " + table);
                    return List.of();
                });
    }
}
