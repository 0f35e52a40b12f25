package dev.cumulus.functions.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** How a connection's temporary roots lie in the gc-roots table, and that a collection's scan reads them all. */
@ExtendWith(LocalStackExtension.class)
class RootsTableTest {
    private static final long FAR = 4_000_000_000L;

    @Test
    void aCallsRootsAreOneItemAndTheScanReadsThemAll(LocalStack stack) {
        RootsTable roots = table(stack);
        String session = "one-item-" + UUID.randomUUID();
        List<StorePath> paths = paths(300, "small");
        roots.addTempRoots(session, paths, FAR);
        assertEquals(2, items(stack, session).size(), "the lease and one item of the 300 roots");
        assertEquals(Set.copyOf(paths), Set.copyOf(roots.scan().liveTemporary(0).get(session)));
        roots.release(session);
        assertEquals(0, items(stack, session).size());
    }

    @Test
    void moreRootsThanAnItemHoldsTakeSeveral(LocalStack stack) {
        RootsTable roots = table(stack);
        String session = "several-" + UUID.randomUUID();
        // Base names of about 200 bytes: 2,500 of them are more than DynamoDB's 400 KB an item.
        List<StorePath> paths = paths(2500, "n".repeat(160));
        roots.addTempRoots(session, paths, FAR);
        int bytes = paths.stream().mapToInt(p -> p.baseName().length()).sum();
        int sets = items(stack, session).size() - 1;
        assertEquals((bytes + RootsTable.ROOT_SET_BYTES - 1) / RootsTable.ROOT_SET_BYTES, sets);
        assertTrue(sets > 1);
        assertEquals(Set.copyOf(paths), new HashSet<>(roots.scan().liveTemporary(0).get(session)));
        roots.release(session);
    }

    @Test
    void rootsOfAnItemAPathAreStillRead(LocalStack stack) {
        RootsTable roots = table(stack);
        String session = "older-" + UUID.randomUUID();
        StorePath old = paths(1, "older").getFirst();
        roots.addTempRoots(session, List.of(), FAR);
        stack.clients().dynamoDb().putItem(p -> p.tableName(name(stack)).item(Map.of(
                "owner", AttributeValue.fromS("session#" + session), "root", AttributeValue.fromS(old.baseName()),
                "path", AttributeValue.fromS(old.baseName()), "expiresAt", AttributeValue.fromN(Long.toString(FAR)))));
        assertEquals(List.of(old), roots.scan().liveTemporary(0).get(session));
        roots.release(session);
    }

    private static List<StorePath> paths(int n, String name) {
        List<StorePath> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String hash = String.format("%032d", i).replace('0', 'a').replace('1', 'b').replace('2', 'c')
                    .replace('3', 'd').replace('4', 'f').replace('5', 'g').replace('6', 'h').replace('7', 'i')
                    .replace('8', 'j').replace('9', 'k');
            out.add(StorePath.parseBaseName(hash + "-" + name));
        }
        return out;
    }

    private static List<Map<String, AttributeValue>> items(LocalStack stack, String session) {
        return stack.clients().dynamoDb().query(q -> q.tableName(name(stack)).consistentRead(true)
                .keyConditionExpression("#o = :o").expressionAttributeNames(Map.of("#o", "owner"))
                .expressionAttributeValues(Map.of(":o", AttributeValue.fromS("session#" + session)))).items();
    }

    private static String name(LocalStack stack) {
        return CloudResources.GC_ROOTS.physicalName(stack.config().resourcePrefix());
    }

    private static RootsTable table(LocalStack stack) {
        return new RootsTable(stack.clients().dynamoDb(), name(stack));
    }
}
