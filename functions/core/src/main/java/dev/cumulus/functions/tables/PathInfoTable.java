package dev.cumulus.functions.tables;

import static dev.cumulus.functions.tables.Attributes.list;
import static dev.cumulus.functions.tables.Attributes.num;

import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The paths table: one item per valid path, keyed by its hash part. An item exists only for a path
 * whose registration committed, so existence is validity. References and the deriver are kept as
 * base names; the store directory is the caller's business.
 */
public final class PathInfoTable {
    /** The attribute a garbage collection's mark is kept in: the collection's id. */
    static final String MARK = "gcPending";

    private final DynamoDbClient db;
    private final String table;

    public PathInfoTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** The stored path if it is exactly {@code path}: a hash part names one path, a different name is not it. */
    public Optional<StoredPath> get(StorePath path) {
        return get(path.hashPart()).filter(s -> s.info().path().equals(path));
    }

    public Optional<StoredPath> get(String hashPart) {
        var response = db.getItem(g -> g.tableName(table).key(key(hashPart)).consistentRead(true));
        return response.hasItem() && !response.item().isEmpty() ? Optional.of(read(response.item())) : Optional.empty();
    }

    /** The stored paths among {@code hashParts}, by hash part. */
    public Map<String, StoredPath> getAll(Collection<String> hashParts) {
        Map<String, StoredPath> out = new HashMap<>();
        for (Map<String, AttributeValue> item : BatchCalls.getAll(db, table, keys(hashParts), null, Map.of())) {
            out.put(Attributes.string(item, "hashPart"), read(item));
        }
        return out;
    }

    /** The valid paths among {@code paths}: one read of their keys, no other attributes. */
    public List<StorePath> valid(Collection<StorePath> paths) {
        Map<String, StorePath> byHash = new HashMap<>();
        paths.forEach(p -> byHash.put(p.hashPart(), p));
        List<StorePath> out = new ArrayList<>();
        for (Map<String, AttributeValue> item : BatchCalls.getAll(db, table, keys(byHash.keySet()), "#p, hashPart",
                Map.of("#p", "path"))) {
            StorePath stored = StorePath.parseBaseName(Attributes.string(item, "path"));
            // A hash part names one path; a different name with the same hash part is not this path.
            if (stored.equals(byHash.get(stored.hashPart()))) {
                out.add(stored);
            }
        }
        return out;
    }

    /** A page of valid paths in key order after {@code afterHashPart}; the next token is empty at the end. */
    public Page scan(Optional<String> afterHashPart, int limit) {
        ScanResponse response = db.scan(s -> {
            s.tableName(table).limit(limit).projectionExpression("#p, hashPart").expressionAttributeNames(Map.of("#p", "path"))
                    .consistentRead(true);
            afterHashPart.ifPresent(h -> s.exclusiveStartKey(key(h)));
        });
        List<StorePath> paths = response.items().stream().map(i -> StorePath.parseBaseName(Attributes.string(i, "path")))
                .toList();
        Optional<String> next = response.hasLastEvaluatedKey() && !response.lastEvaluatedKey().isEmpty()
                ? Optional.of(Attributes.string(response.lastEvaluatedKey(), "hashPart")) : Optional.empty();
        return new Page(paths, next);
    }

    public record Page(List<StorePath> paths, Optional<String> next) {}

    /** The day (UTC, ISO) a path registered at {@code registrationTime} (epoch seconds) is listed under. */
    public static String registeredDay(long registrationTime) {
        return java.time.LocalDate.ofInstant(java.time.Instant.ofEpochSecond(registrationTime), java.time.ZoneOffset.UTC).toString();
    }

    /** Up to {@code limit} paths registered on {@code day} ({@link #registeredDay}), newest first; one Query. */
    public List<StoredPath> registeredOn(String day, int limit) {
        return db.query(q -> q.tableName(table).indexName("by-registration").keyConditionExpression("#d = :d")
                        .expressionAttributeNames(Map.of("#d", "registeredDay"))
                        .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(day)))
                        .scanIndexForward(false).limit(limit))
                .items().stream().map(PathInfoTable::read).toList();
    }

    /** A put that succeeds only if no path with that hash part is registered: for a registration transaction. */
    public TransactWriteItem putIfAbsent(StoredPath path) {
        return TransactWriteItem.builder().put(Put.builder().tableName(table).item(write(path))
                .conditionExpression("attribute_not_exists(hashPart)").build()).build();
    }

    /*
     * Garbage collection. A collection first marks a dead path (gcPending = its id, on the condition
     * that the item is the one it scanned and unmarked), then re-reads what could have made the path
     * live since its scan, then deletes it on the condition that its mark is still there. Whoever
     * makes a path live again (a root, a temporary root, a build, a new referrer) writes that fact
     * first and then clears any mark ({@link #revive}); a registration also commits only on the
     * condition that its references are unmarked ({@link #unmarked}). Either the collection sees the
     * fact, or its conditional delete fails, or the path is gone before the fact's writer looks (and
     * the writer reports it missing).
     */

    /** A path as a collection scans it: the stored path and the id of the collection that marked it, if any. */
    public record Scanned(StoredPath stored, Optional<String> mark) {}

    /** Every valid path, read consistently, a page at a time. */
    public void scanAll(java.util.function.Consumer<Scanned> each) {
        QueryPages.scanAll(db, table, i -> each.accept(scanned(i)));
    }

    /** The valid paths of scan segment {@code segment} (from 0) of {@code segments}, read consistently. */
    public void scanSegment(int segment, int segments, java.util.function.Consumer<Scanned> each) {
        QueryPages.scanSegment(db, table, segment, segments, i -> each.accept(scanned(i)));
    }

    private Scanned scanned(Map<String, AttributeValue> item) {
        return new Scanned(read(item), Optional.ofNullable(item.get(MARK)).map(AttributeValue::s));
    }

    /**
     * Marks paths for deletion by collection {@code gc}, each if it is still as scanned: unmarked,
     * marked by the collection the scan saw (one that ended or was abandoned: its caller takes its
     * marks over), or marked by {@code gc} already (the step marking it ran before), in transactions
     * of up to {@value #DELETE_LIMIT} and the collection's check {@code stillMarking}
     * ({@link RootsTable#stillMarking}), several at once. Returns those it marked; the order of marking
     * does not matter, as nothing is deleted yet. Throws {@link RootsTable.CollectionLostException}
     * once the collection no longer marks.
     */
    /** A path to mark as a collection scanned it: its registration time and the mark it carried. */
    public record Marking(String hashPart, long registrationTime, Optional<String> mark) {}

    public List<String> markAll(List<Marking> scanned, String gc, TransactWriteItem stillMarking) {
        return ChunkedWork.inChunks(scanned, DELETE_LIMIT, BatchCalls.WRITES_AT_ONCE, "marking for " + gc,
                chunk -> {
                    List<Marking> pending = new ArrayList<>(chunk);
                    while (!pending.isEmpty()) {
                        List<TransactWriteItem> items = new ArrayList<>(pending.stream().map(p -> {
                            Map<String, AttributeValue> values = new java.util.HashMap<>(Map.of(
                                    ":gc", AttributeValue.fromS(gc), ":rt", num(p.registrationTime())));
                            p.mark().ifPresent(old -> values.put(":old", AttributeValue.fromS(old)));
                            return TransactWriteItem.builder()
                                    .update(Update.builder().tableName(table).key(key(p.hashPart()))
                                            .updateExpression("SET #m = :gc")
                                            .conditionExpression("registrationTime = :rt AND ("
                                                    + (p.mark().isPresent() ? "#m = :old" : "attribute_not_exists(#m)")
                                                    + " OR #m = :gc)")
                                            .expressionAttributeNames(Map.of("#m", MARK))
                                            .expressionAttributeValues(values).build()).build();
                        }).toList());
                        items.add(stillMarking);
                        java.util.SortedSet<Integer> changed = BatchCalls.transactOrFailedConditions(db, items, "marking for " + gc);
                        if (changed.contains(pending.size())) {
                            throw new RootsTable.CollectionLostException(gc);
                        }
                        if (changed.isEmpty()) {
                            return pending.stream().map(Marking::hashPart).toList();
                        }
                        // changed since the scan (or marked by another collection): not ours to mark
                        List<Marking> rest = new ArrayList<>();
                        for (int i = 0; i < pending.size(); i++) {
                            if (!changed.contains(i)) {
                                rest.add(pending.get(i));
                            }
                        }
                        pending = rest;
                    }
                    return List.of();
                });
    }

    /** How many paths one {@link #deleteAllMarked} takes: a transaction's items, less the collection's check. */
    public static final int DELETE_LIMIT = BatchCalls.TRANSACTION_LIMIT - 1;

    /**
     * Deletes, all at once in one transaction, the paths (at most {@value #DELETE_LIMIT}) still marked
     * by collection {@code gc}, if the collection still deletes ({@code stillDeleting}, from
     * {@link RootsTable#stillDeleting}). Returns the hash parts someone revived meanwhile: when there
     * are any, nothing was deleted; empty when all went. Throws {@link RootsTable.CollectionLostException}
     * if another collection took this one over.
     */
    public java.util.Set<String> deleteAllMarked(List<String> hashParts, String gc, TransactWriteItem stillDeleting) {
        if (hashParts.isEmpty()) {
            return java.util.Set.of();
        }
        if (hashParts.size() > DELETE_LIMIT) {
            throw new IllegalArgumentException(hashParts.size() + " paths in one transaction; at most " + DELETE_LIMIT);
        }
        List<TransactWriteItem> items = new ArrayList<>(hashParts.stream().map(h -> TransactWriteItem.builder()
                .delete(Delete.builder().tableName(table).key(key(h)).conditionExpression("#m = :gc")
                        .expressionAttributeNames(Map.of("#m", MARK))
                        .expressionAttributeValues(Map.of(":gc", AttributeValue.fromS(gc))).build()).build()).toList());
        items.add(stillDeleting);
        java.util.SortedSet<Integer> failed = BatchCalls.transactOrFailedConditions(db, items, "deleting for " + gc);
        if (failed.contains(hashParts.size())) {
            throw new RootsTable.CollectionLostException(gc);
        }
        java.util.Set<String> revived = new java.util.HashSet<>();
        failed.forEach(i -> revived.add(hashParts.get(i)));
        return revived;
    }

    /** Takes collection {@code gc}'s mark off a path it decided to keep. */
    public void unmark(String hashPart, String gc) {
        try {
            db.updateItem(u -> u.tableName(table).key(key(hashPart)).updateExpression("REMOVE #m")
                    .conditionExpression("#m = :gc").expressionAttributeNames(Map.of("#m", MARK))
                    .expressionAttributeValues(Map.of(":gc", AttributeValue.fromS(gc))));
        } catch (ConditionalCheckFailedException gone) {
            // revived or deleted meanwhile: nothing of ours is left on it
        }
    }

    /**
     * The valid paths among {@code paths}, with any collection's mark taken off them: for a caller
     * that has just written something that keeps them alive. A path missing from the answer is not
     * valid (or was collected before the caller's fact was written).
     */
    public List<StorePath> revive(Collection<StorePath> paths) {
        Map<String, StorePath> byHash = new HashMap<>();
        paths.forEach(p -> byHash.put(p.hashPart(), p));
        List<StorePath> out = new ArrayList<>();
        for (Map<String, AttributeValue> item : BatchCalls.getAll(db, table, keys(byHash.keySet()), "#p, hashPart, #m",
                Map.of("#p", "path", "#m", MARK))) {
            StorePath stored = StorePath.parseBaseName(Attributes.string(item, "path"));
            if (!stored.equals(byHash.get(stored.hashPart()))) {
                continue;
            }
            if (item.containsKey(MARK)) {
                try {
                    db.updateItem(u -> u.tableName(table).key(key(stored.hashPart())).updateExpression("REMOVE #m")
                            .conditionExpression("attribute_exists(hashPart)").expressionAttributeNames(Map.of("#m", MARK)));
                } catch (ConditionalCheckFailedException collected) {
                    continue;
                }
            }
            out.add(stored);
        }
        return out;
    }

    /** Takes back a path this registration committed (the same registration time), if it is still there. */
    public void withdraw(String hashPart, long registrationTime) {
        try {
            db.deleteItem(d -> d.tableName(table).key(key(hashPart)).conditionExpression("registrationTime = :rt")
                    .expressionAttributeValues(Map.of(":rt", num(registrationTime))));
        } catch (ConditionalCheckFailedException other) {
            // not ours any more
        }
    }

    /** A transaction's check that a path is not valid. */
    public TransactWriteItem absent(StorePath path) {
        return TransactWriteItem.builder().conditionCheck(ConditionCheck.builder().tableName(table)
                .key(key(path.hashPart())).conditionExpression("attribute_not_exists(hashPart)").build()).build();
    }

    /** A transaction's check that a path is valid and no collection has marked it. */
    public TransactWriteItem unmarked(StorePath path) {
        return TransactWriteItem.builder().conditionCheck(ConditionCheck.builder().tableName(table)
                .key(key(path.hashPart())).conditionExpression("attribute_exists(hashPart) AND attribute_not_exists(#m)")
                .expressionAttributeNames(Map.of("#m", MARK)).build()).build();
    }

    /**
     * Adds signatures to a valid path, keeping those it has: an optimistic read-modify-write that
     * retries if another writer changed the signatures in between.
     *
     * @return how many were new, or empty if the path is not valid
     */
    public Optional<Integer> addSignatures(StorePath path, Collection<Signature> signatures) {
        for (int attempt = 0; ; attempt++) {
            Optional<StoredPath> stored = get(path);
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            List<Signature> before = stored.get().info().signatures();
            LinkedHashSet<Signature> after = new LinkedHashSet<>(before);
            after.addAll(signatures);
            int added = after.size() - before.size();
            if (added == 0) {
                return Optional.of(0);
            }
            try {
                db.updateItem(u -> u.tableName(table).key(key(path.hashPart()))
                        .updateExpression("SET signatures = :after")
                        .conditionExpression("signatures = :before")
                        .expressionAttributeValues(Map.of(":after", list(after.stream().map(Signature::render).toList()),
                                ":before", list(before.stream().map(Signature::render).toList()))));
                return Optional.of(added);
            } catch (ConditionalCheckFailedException changed) {
                BatchBackoff.sleep(attempt + 1, "AddSignatures on " + path);
            }
        }
    }

    /**
     * A repaired path's NAR now lies in {@code object}.
     *
     * @return false when the path is not valid (any more)
     */
    public boolean replaceNar(StorePath path, NarObject object) {
        try {
            db.updateItem(u -> u.tableName(table).key(key(path.hashPart()))
                    .updateExpression("SET nar = :nar")
                    .conditionExpression("attribute_exists(hashPart)")
                    .expressionAttributeValues(Map.of(":nar", narAttribute(object))));
            return true;
        } catch (ConditionalCheckFailedException gone) {
            return false;
        }
    }

    private static AttributeValue narAttribute(NarObject n) {
        return AttributeValue.fromM(Map.of("key", AttributeValue.fromS(n.key()), "compression", AttributeValue.fromS(n.compression()),
                "fileHash", AttributeValue.fromS(n.fileHash()), "fileSize", num(n.fileSize())));
    }

    static Map<String, AttributeValue> key(String hashPart) {
        return Map.of("hashPart", AttributeValue.fromS(hashPart));
    }

    private static List<Map<String, AttributeValue>> keys(Collection<String> hashParts) {
        return new LinkedHashSet<>(hashParts).stream().map(PathInfoTable::key).toList();
    }

    /** DynamoDB's largest item: 400 KB, attribute names included. */
    public static final int ITEM_LIMIT = 400 * 1024;
    /**
     * What a registered path's item must leave free under {@link #ITEM_LIMIT}: a collection's mark,
     * signatures added later (AddSignatures) and the location of a repaired NAR grow the item, and
     * an item that cannot take a mark could never be collected.
     */
    public static final int ROOM_TO_GROW = 8 * 1024;

    /**
     * Whether the path fits in one item of this table, with {@link #ROOM_TO_GROW}. Its references are
     * part of its item: about 7,500 references of usual names fit (fewer of longer).
     */
    public static boolean fits(StoredPath stored) {
        return itemSize(stored) <= ITEM_LIMIT - ROOM_TO_GROW;
    }

    /** The size DynamoDB counts for the path's item. */
    public static int itemSize(StoredPath stored) {
        return Attributes.size(write(stored));
    }

    static Map<String, AttributeValue> write(StoredPath stored) {
        PathInfo info = stored.info();
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("hashPart", AttributeValue.fromS(info.path().hashPart()));
        item.put("path", AttributeValue.fromS(info.path().baseName()));
        item.put("narHash", AttributeValue.fromS(info.narHash().toString(HashFormat.NIX32)));
        item.put("narSize", num(info.narSize()));
        item.put("references", list(info.references().stream().map(StorePath::baseName).toList()));
        info.deriver().ifPresent(d -> item.put("deriver", AttributeValue.fromS(d.baseName())));
        item.put("signatures", list(info.signatures().stream().map(Signature::render).toList()));
        info.ca().ifPresent(ca -> item.put("ca", AttributeValue.fromS(ca.render())));
        item.put("registrationTime", num(info.registrationTime()));
        item.put("registeredDay", AttributeValue.fromS(registeredDay(info.registrationTime())));
        item.put("ultimate", AttributeValue.fromBool(info.ultimate()));
        stored.nar().ifPresent(n -> item.put("nar", narAttribute(n)));
        return item;
    }

    static StoredPath read(Map<String, AttributeValue> item) {
        TreeSet<StorePath> refs = new TreeSet<>();
        Attributes.strings(item, "references").forEach(r -> refs.add(StorePath.parseBaseName(r)));
        PathInfo info = new PathInfo(StorePath.parseBaseName(Attributes.string(item, "path")),
                Attributes.optionalString(item, "deriver").map(StorePath::parseBaseName),
                Hash.parseAny(Attributes.string(item, "narHash")), Attributes.number(item, "narSize"), refs,
                Attributes.number(item, "registrationTime"),
                item.containsKey("ultimate") && Boolean.TRUE.equals(item.get("ultimate").bool()),
                Attributes.strings(item, "signatures").stream().map(Signature::parse).toList(),
                Attributes.optionalString(item, "ca").map(ContentAddress::parse));
        Optional<NarObject> nar = Optional.ofNullable(item.get("nar")).filter(AttributeValue::hasM).map(AttributeValue::m)
                .map(m -> new NarObject(Attributes.string(m, "key"), Attributes.string(m, "compression"),
                        Attributes.string(m, "fileHash"), Attributes.number(m, "fileSize")));
        return new StoredPath(info, nar);
    }
}
