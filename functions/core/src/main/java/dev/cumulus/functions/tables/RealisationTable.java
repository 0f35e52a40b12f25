package dev.cumulus.functions.tables;

import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.store.StoreDir;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The realisations table: one item per derivation output id, in the form it was registered
 * ({@code sha256:<hash>!out} or {@code <drvPath>^out}), holding the output path and Nix's JSON.
 */
public final class RealisationTable {
    private final DynamoDbClient db;
    private final String table;
    private final StoreDir storeDir;

    public RealisationTable(DynamoDbClient db, String table, StoreDir storeDir) {
        this.db = db;
        this.table = table;
        this.storeDir = storeDir;
    }

    public Optional<Realisation> get(String id) {
        var response = db.getItem(g -> g.tableName(table).key(Map.of("id", AttributeValue.fromS(id))).consistentRead(true));
        return response.hasItem() && !response.item().isEmpty()
                ? Optional.of(Realisation.fromJson(Attributes.string(response.item(), "realisation")))
                : Optional.empty();
    }

    /**
     * Stores a realisation unless its id already maps to another path; registering the same mapping
     * again keeps the first (and its signatures).
     *
     * @return the realisation now stored for that id
     */
    public Realisation putIfConsistent(Realisation realisation) {
        try {
            db.putItem(putIfAbsent(realisation));
            return realisation;
        } catch (ConditionalCheckFailedException exists) {
            String id = realisation.id().render(storeDir);
            return get(id).orElseThrow(() -> new IllegalStateException("realisation " + id + " vanished while registered"));
        }
    }

    /** The put of {@link #putIfConsistent} for a transaction, whose condition fails when the id is taken. */
    public TransactWriteItem putIfAbsentItem(Realisation realisation) {
        PutItemRequest put = putIfAbsent(realisation);
        return TransactWriteItem.builder().put(Put.builder().tableName(table).item(put.item())
                .conditionExpression(put.conditionExpression()).build()).build();
    }

    private PutItemRequest putIfAbsent(Realisation realisation) {
        return PutItemRequest.builder().tableName(table).item(Map.of(
                        "id", AttributeValue.fromS(realisation.id().render(storeDir)),
                        "outPath", AttributeValue.fromS(realisation.outPath().baseName()),
                        "realisation", AttributeValue.fromS(realisation.toJsonString())))
                .conditionExpression("attribute_not_exists(id)").build();
    }

    /** Every realisation's id and output path (base name), read consistently. */
    public Map<String, String> scanOutPaths() {
        Map<String, String> out = new java.util.TreeMap<>();
        QueryPages.scanAll(db, table, i -> out.put(Attributes.string(i, "id"), Attributes.string(i, "outPath")));
        return out;
    }

    /** A transaction's delete of realisation {@code id}. */
    public TransactWriteItem deleteItem(String id) {
        return BatchCalls.transactDeletes(table, List.of(Map.of("id", AttributeValue.fromS(id)))).getFirst();
    }
}
