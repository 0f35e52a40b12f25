package dev.cumulus.functions.tables;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
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
        if (keys.isEmpty()) {
            return List.of();
        }
        if (keys.size() <= GET_LIMIT) {
            return getChunk(db, table, keys, projection, names);
        }
        // Chunks are read at once: QueryValidPaths of a 1,000-path closure costs one round trip, not ten.
        List<Future<List<Map<String, AttributeValue>>>> chunks = new ArrayList<>();
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int from = 0; from < keys.size(); from += GET_LIMIT) {
                List<Map<String, AttributeValue>> chunk = keys.subList(from, Math.min(keys.size(), from + GET_LIMIT));
                chunks.add(readers.submit(() -> getChunk(db, table, chunk, projection, names)));
            }
            List<Map<String, AttributeValue>> found = new ArrayList<>();
            for (Future<List<Map<String, AttributeValue>>> f : chunks) {
                found.addAll(f.get());
            }
            return found;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("BatchGetItem on " + table + " was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
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

    /** The same unconditional puts as items of a transaction. */
    static List<TransactWriteItem> transactPuts(String table, List<Map<String, AttributeValue>> items) {
        return items.stream().map(i -> TransactWriteItem.builder().put(Put.builder().tableName(table).item(i).build()).build())
                .toList();
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
        if (writes.isEmpty()) {
            return;
        }
        if (writes.size() <= WRITE_LIMIT) {
            writeChunk(db, table, writes);
            return;
        }
        Semaphore slots = new Semaphore(WRITES_AT_ONCE);
        List<Future<?>> chunks = new ArrayList<>();
        try (ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int from = 0; from < writes.size(); from += WRITE_LIMIT) {
                List<WriteRequest> chunk = writes.subList(from, Math.min(writes.size(), from + WRITE_LIMIT));
                chunks.add(writers.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        writeChunk(db, table, chunk);
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Future<?> f : chunks) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("BatchWriteItem on " + table + " was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
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
