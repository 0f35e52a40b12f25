package dev.cumulus.functions.tables;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * BatchGetItem and BatchWriteItem over any number of items: split into DynamoDB's per-call limits,
 * and what DynamoDB leaves unprocessed (under throttling) retried with exponential backoff.
 */
final class BatchCalls {
    private BatchCalls() {}

    static final int GET_LIMIT = 100;
    static final int WRITE_LIMIT = 25;
    static final int WRITES_AT_ONCE = 8;

    /**
     * Strongly consistent reads of {@code keys}, all attributes or those of {@code projection} (whose
     * {@code #name} placeholders {@code names} resolves); items that do not exist are simply absent.
     */
    static List<Map<String, AttributeValue>> getAll(DynamoDbClient db, String table, List<Map<String, AttributeValue>> keys,
                                                    String projection, Map<String, String> names) {
        // Chunks are read at once: QueryValidPaths of a 1,000-path closure costs one round trip, not ten.
        return ChunkedWork.inChunks(keys, GET_LIMIT, Integer.MAX_VALUE, "BatchGetItem on " + table,
                chunk -> getChunk(db, table, chunk, projection, names));
    }

    private static List<Map<String, AttributeValue>> getChunk(DynamoDbClient db, String table,
                                                              List<Map<String, AttributeValue>> chunk, String projection,
                                                              Map<String, String> names) {
        KeysAndAttributes.Builder request = KeysAndAttributes.builder().keys(chunk).consistentRead(true);
        if (projection != null) {
            request.projectionExpression(projection);
            if (!names.isEmpty()) {
                request.expressionAttributeNames(names);
            }
        }
        List<Map<String, AttributeValue>> found = new ArrayList<>();
        Map<String, KeysAndAttributes> pending = Map.of(table, request.build());
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            if (attempt > 0) {
                BatchBackoff.sleep(attempt, "BatchGetItem on " + table);
            }
            Map<String, KeysAndAttributes> ask = pending;
            BatchGetItemResponse response = db.batchGetItem(b -> b.requestItems(ask));
            found.addAll(response.responses().getOrDefault(table, List.of()));
            pending = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
        }
        return found;
    }

    /** DynamoDB's limit of items in one transaction. */
    static final int TRANSACTION_LIMIT = 100;

    /**
     * Commits {@code items} as one transaction, retrying conflicts and throttling. Returns the indices
     * of the items whose condition failed, when one did (then nothing was written); empty when it committed.
     */
    static java.util.SortedSet<Integer> transactOrFailedConditions(DynamoDbClient db, List<TransactWriteItem> items,
                                                                    String what) {
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                BatchBackoff.sleep(attempt, what);
            }
            try {
                db.transactWriteItems(t -> t.transactItems(items));
                return new java.util.TreeSet<>();
            } catch (TransactionCanceledException cancelled) {
                java.util.SortedSet<Integer> failed = new java.util.TreeSet<>();
                List<CancellationReason> reasons = cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
                for (int i = 0; i < reasons.size(); i++) {
                    if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                        failed.add(i);
                    }
                }
                if (!failed.isEmpty()) {
                    return failed;
                }
                // no condition failed: a conflict with another transaction, or throttling; again
            }
        }
    }

    /** The same unconditional puts as items of a transaction. */
    static List<TransactWriteItem> transactPuts(String table, List<Map<String, AttributeValue>> items) {
        return items.stream().map(i -> TransactWriteItem.builder().put(Put.builder().tableName(table).item(i).build()).build())
                .toList();
    }

    /** Unconditional deletes of the items with {@code keys}, as items of a transaction. */
    static List<TransactWriteItem> transactDeletes(String table, List<Map<String, AttributeValue>> keys) {
        return keys.stream().map(k -> TransactWriteItem.builder().delete(Delete.builder().tableName(table).key(k).build())
                .build()).toList();
    }

    /** Unconditional puts; fine for items whose content is a function of their key. */
    static void putAll(DynamoDbClient db, String table, List<Map<String, AttributeValue>> items) {
        writeAll(db, table, items.stream()
                .map(i -> WriteRequest.builder().putRequest(PutRequest.builder().item(i).build()).build()).toList());
    }

    /** Unconditional deletes of the items with {@code keys}; absent ones are no error. */
    static void deleteAll(DynamoDbClient db, String table, List<Map<String, AttributeValue>> keys) {
        writeAll(db, table, keys.stream()
                .map(k -> WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(k).build()).build()).toList());
    }

    /**
     * Chunks are written {@value #WRITES_AT_ONCE} at a time: a registration's hundreds of referrer
     * edges take a few round trips, not one per 25 edges.
     */
    private static void writeAll(DynamoDbClient db, String table, List<WriteRequest> writes) {
        ChunkedWork.inChunks(writes, WRITE_LIMIT, WRITES_AT_ONCE, "BatchWriteItem on " + table, chunk -> {
            writeChunk(db, table, chunk);
            return List.of();
        });
    }


    private static void writeChunk(DynamoDbClient db, String table, List<WriteRequest> chunk) {
        Map<String, List<WriteRequest>> pending = new HashMap<>(Map.of(table, new ArrayList<>(chunk)));
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            if (attempt > 0) {
                BatchBackoff.sleep(attempt, "BatchWriteItem on " + table);
            }
            Map<String, List<WriteRequest>> ask = pending;
            BatchWriteItemResponse response = db.batchWriteItem(b -> b.requestItems(ask));
            pending = response.hasUnprocessedItems() ? response.unprocessedItems() : Map.of();
        }
    }
}
