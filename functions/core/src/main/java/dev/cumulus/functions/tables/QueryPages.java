package dev.cumulus.functions.tables;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/** A DynamoDB Query or Scan read to its end, page after page. */
final class QueryPages {
    private QueryPages() {}

    static void forEach(DynamoDbClient db, Consumer<QueryRequest.Builder> request,
                        Consumer<Map<String, AttributeValue>> each) {
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse page = db.query(q -> {
                request.accept(q);
                if (from != null) {
                    q.exclusiveStartKey(from);
                }
            });
            page.items().forEach(each);
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
    }

    /**
     * The segments a whole-table Scan is split into, read side by side (DynamoDB's parallel scan): a
     * table of millions of items is read in a fraction of the time one page after another takes.
     */
    static final int SCAN_SEGMENTS = 4;

    /**
     * A strongly consistent Scan of the whole table, in {@value #SCAN_SEGMENTS} segments read at once;
     * {@code each} sees one item at a time (never two at once), in no particular order.
     */
    static void scanAll(DynamoDbClient db, String table, Consumer<Map<String, AttributeValue>> each) {
        Object oneAtATime = new Object();
        List<Integer> segments = java.util.stream.IntStream.range(0, SCAN_SEGMENTS).boxed().toList();
        ChunkedWork.inChunks(segments, 1, SCAN_SEGMENTS, "scanning " + table, segment -> {
            scanSegment(db, table, segment.getFirst(), SCAN_SEGMENTS, item -> {
                synchronized (oneAtATime) {
                    each.accept(item);
                }
            });
            return List.of();
        });
    }

    /** A strongly consistent Scan of segment {@code segment} (from 0) of {@code segments}, a page at a time. */
    static void scanSegment(DynamoDbClient db, String table, int segment, int segments,
                            Consumer<Map<String, AttributeValue>> each) {
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var page = db.scan(s -> {
                s.tableName(table).consistentRead(true).segment(segment).totalSegments(segments);
                if (from != null) {
                    s.exclusiveStartKey(from);
                }
            });
            page.items().forEach(each);
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
    }
}
