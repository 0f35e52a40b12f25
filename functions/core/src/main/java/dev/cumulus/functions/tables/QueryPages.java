package dev.cumulus.functions.tables;

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

    /** A strongly consistent Scan of the whole table, page after page. */
    static void scanAll(DynamoDbClient db, String table, Consumer<Map<String, AttributeValue>> each) {
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            var page = db.scan(s -> {
                s.tableName(table).consistentRead(true);
                if (from != null) {
                    s.exclusiveStartKey(from);
                }
            });
            page.items().forEach(each);
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
    }
}
