package dev.cumulus.functions.tables;

import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The gc-roots table, keyed by owner and root. Owner {@code named} holds named roots (root: the
 * name). Owner {@code session#<id>} holds one connection's temporary roots (root: the path's base
 * name) and its lease (root: {@value #LEASE}, {@code expiresAt}: until when the connection is taken
 * to be alive). A temporary root counts only while its lease holds, so a proxy that dies leaves no
 * root behind for longer than a lease; TTL removes the items later. Owner {@value #COLLECTIONS}
 * holds what caches of path infos consult: the deletion generation (root {@value #GENERATION}, a
 * counter every collection moves when it starts and ends deleting) and one item per collection that
 * is deleting (root: its id, {@code expiresAt}: until when it may be).
 */
public final class RootsTable {
    static final String NAMED = "named";
    static final String LEASE = "lease";
    static final String COLLECTIONS = "collections";
    static final String GENERATION = "generation";
    private static final String SESSION = "session#";
    /** Temporary roots outlive their lease in the table only for TTL to find them; the lease decides. */
    private static final long TEMP_ROOT_TTL_SECONDS = 7 * 24 * 3600;

    private final DynamoDbClient db;
    private final String table;

    public RootsTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** Everything in the table at one moment (a strongly consistent scan). */
    public record Snapshot(Map<String, StorePath> named, Map<String, List<StorePath>> temporary,
                           Map<String, Long> leases) {
        /** The temporary roots of connections whose lease holds at {@code now} (epoch seconds). */
        public Map<String, List<StorePath>> liveTemporary(long now) {
            Map<String, List<StorePath>> out = new TreeMap<>();
            temporary.forEach((session, paths) -> {
                if (leases.getOrDefault(session, 0L) > now) {
                    out.put(session, paths);
                }
            });
            return out;
        }
    }

    /** Makes {@code paths} temporary roots of {@code session} and sets its lease to {@code leaseUntil}. */
    public void addTempRoots(String session, Collection<StorePath> paths, long leaseUntil) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        items.add(lease(session, leaseUntil));
        long ttl = leaseUntil + TEMP_ROOT_TTL_SECONDS;
        for (StorePath p : new java.util.TreeSet<>(paths)) {
            items.add(Map.of("owner", AttributeValue.fromS(SESSION + session), "root", AttributeValue.fromS(p.baseName()),
                    "path", AttributeValue.fromS(p.baseName()), "expiresAt", Attributes.num(ttl)));
        }
        BatchCalls.putAll(db, table, items);
    }

    /** Removes a connection's lease and temporary roots. */
    public void release(String session) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        QueryPages.forEach(db, q -> q.tableName(table).keyConditionExpression("#o = :o").projectionExpression("#o, #r")
                        .expressionAttributeNames(Map.of("#o", "owner", "#r", "root"))
                        .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(SESSION + session))),
                i -> keys.add(Map.of("owner", i.get("owner"), "root", i.get("root"))));
        BatchCalls.deleteAll(db, table, keys);
    }

    public void putNamed(String name, StorePath path) {
        db.putItem(p -> p.tableName(table).item(Map.of("owner", AttributeValue.fromS(NAMED),
                "root", AttributeValue.fromS(name), "path", AttributeValue.fromS(path.baseName()))));
    }

    /** The path the named root kept alive, or empty if there was no such root. */
    public Optional<StorePath> removeNamed(String name) {
        var response = db.deleteItem(d -> d.tableName(table).key(Map.of("owner", AttributeValue.fromS(NAMED),
                "root", AttributeValue.fromS(name))).returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_OLD));
        return response.hasAttributes() && !response.attributes().isEmpty()
                ? Optional.of(StorePath.parseBaseName(Attributes.string(response.attributes(), "path")))
                : Optional.empty();
    }

    /** The deletion generation and whether a collection may be deleting at {@code now} (epoch seconds). */
    public record Deletions(long generation, boolean deleting) {}

    /** One strongly consistent read of the collections' items. */
    public Deletions deletions(long now) {
        long[] generation = {0};
        boolean[] deleting = {false};
        QueryPages.forEach(db, q -> q.tableName(table).consistentRead(true).keyConditionExpression("#o = :o")
                        .expressionAttributeNames(Map.of("#o", "owner"))
                        .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(COLLECTIONS))),
                i -> {
                    if (Attributes.string(i, "root").equals(GENERATION)) {
                        generation[0] = Attributes.number(i, "generation");
                    } else if (Attributes.number(i, "expiresAt") > now) {
                        deleting[0] = true;
                    }
                });
        return new Deletions(generation[0], deleting[0]);
    }

    /**
     * Announces that collection {@code gc} is about to delete, until {@code until} at the latest:
     * its item first, then the generation moves, so a reader that sees the new generation also sees
     * the collection deleting.
     */
    public void beginDeletions(String gc, long until) {
        db.putItem(p -> p.tableName(table).item(Map.of("owner", AttributeValue.fromS(COLLECTIONS),
                "root", AttributeValue.fromS(gc), "expiresAt", Attributes.num(until))));
        nextGeneration();
    }

    /** Collection {@code gc} deleted what it would: the generation moves again, then its item goes. */
    public void endDeletions(String gc) {
        nextGeneration();
        db.deleteItem(d -> d.tableName(table).key(Map.of("owner", AttributeValue.fromS(COLLECTIONS),
                "root", AttributeValue.fromS(gc))));
    }

    private void nextGeneration() {
        db.updateItem(u -> u.tableName(table).key(Map.of("owner", AttributeValue.fromS(COLLECTIONS),
                        "root", AttributeValue.fromS(GENERATION)))
                .updateExpression("ADD #g :one").expressionAttributeNames(Map.of("#g", "generation"))
                .expressionAttributeValues(Map.of(":one", Attributes.num(1))));
    }

    public Snapshot scan() {
        Map<String, StorePath> named = new TreeMap<>();
        Map<String, List<StorePath>> temporary = new TreeMap<>();
        Map<String, Long> leases = new HashMap<>();
        QueryPages.scanAll(db, table, item -> {
            String owner = Attributes.string(item, "owner");
            String root = Attributes.string(item, "root");
            if (owner.equals(NAMED)) {
                named.put(root, StorePath.parseBaseName(Attributes.string(item, "path")));
            } else if (owner.startsWith(SESSION)) {
                String session = owner.substring(SESSION.length());
                if (root.equals(LEASE)) {
                    leases.put(session, Attributes.number(item, "expiresAt"));
                } else {
                    temporary.computeIfAbsent(session, s -> new ArrayList<>())
                            .add(StorePath.parseBaseName(Attributes.string(item, "path")));
                }
            }
        });
        return new Snapshot(named, temporary, leases);
    }

    private static Map<String, AttributeValue> lease(String session, long until) {
        return Map.of("owner", AttributeValue.fromS(SESSION + session), "root", AttributeValue.fromS(LEASE),
                "expiresAt", Attributes.num(until));
    }
}
