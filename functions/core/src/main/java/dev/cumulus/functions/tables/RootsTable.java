package dev.cumulus.functions.tables;

import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The gc-roots table, keyed by owner and root. Owner {@code named} holds named roots (root: the
 * name). Owner {@code session#<id>} holds one connection's temporary roots, the paths of each call
 * in one item (root: {@code set#<random id>}, {@code paths}: their base names; a call of more paths
 * than an item holds writes several), and its lease (root: {@value #LEASE}, {@code expiresAt}: until
 * when the connection is taken to be alive). One item a call rather than one a path: a copy roots
 * each registration's paths, and an item a path was a third of the items a copy wrote. A temporary root counts only while its lease holds, so a proxy that dies leaves no
 * root behind for longer than a lease; TTL removes the items later. Owner {@value #COLLECTIONS}
 * holds the collections: the deletion generation (root {@value #GENERATION}, a counter every
 * collection moves when it starts and ends deleting, which caches of path infos consult) and one
 * record per collection (root: its id; its phase, its lease while it deletes, its counts; kept a week).
 * Owner {@value #SWEEPS} holds the bucket sweep's steps under way (root: {@code step#<id>}, {@code until}:
 * the epoch millis after which the step deletes nothing) and when the last one ended (root
 * {@value #SWEEPS_ENDED}, {@code at}), which registrations read to know whether a sweep that listed
 * the bucket before their objects were written may have removed them ({@code SweepFence}).
 */
public final class RootsTable {
    static final String NAMED = "named";
    static final String LEASE = "lease";
    static final String COLLECTIONS = "collections";
    static final String GENERATION = "generation";
    static final String SWEEPS = "sweeps";
    static final String SWEEPS_ENDED = "ended";
    private static final String SWEEP_STEP = "step#";
    private static final String SESSION = "session#";
    private static final String ROOT_SET = "set#";
    /** The base names one item of temporary roots holds, in bytes: well within DynamoDB's 400 KB an item. */
    static final int ROOT_SET_BYTES = 200_000;
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
        List<String> set = new ArrayList<>();
        int bytes = 0;
        for (StorePath p : new TreeSet<>(paths)) {
            if (bytes + p.baseName().length() > ROOT_SET_BYTES) {
                items.add(rootSet(session, set, ttl));
                set = new ArrayList<>();
                bytes = 0;
            }
            set.add(p.baseName());
            bytes += p.baseName().length();
        }
        if (!set.isEmpty()) {
            items.add(rootSet(session, set, ttl));
        }
        BatchCalls.putAll(db, table, items);
    }

    /** One item of a session's temporary roots: {@code baseNames}, under a root of its own. */
    private static Map<String, AttributeValue> rootSet(String session, List<String> baseNames, long ttl) {
        return Map.of("owner", AttributeValue.fromS(SESSION + session),
                "root", AttributeValue.fromS(ROOT_SET + UUID.randomUUID()),
                "paths", AttributeValue.fromSs(baseNames), "expiresAt", Attributes.num(ttl));
    }

    /** Removes a connection's lease and temporary roots. */
    public void release(String session) {
        deleteOwned(SESSION + session);
    }

    /** Removes every item of {@code owner}. */
    private void deleteOwned(String owner) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        QueryPages.forEach(db, q -> q.tableName(table).keyConditionExpression("#o = :o").projectionExpression("#o, #r")
                        .expressionAttributeNames(Map.of("#o", "owner", "#r", "root"))
                        .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(owner))),
                i -> keys.add(Map.of("owner", i.get("owner"), "root", i.get("root"))));
        BatchCalls.deleteAll(db, table, keys);
    }

    /** The named roots, by name: one Query of their owner, however many temporary roots there are. */
    public Map<String, StorePath> named() {
        Map<String, StorePath> out = new TreeMap<>();
        QueryPages.forEach(db, q -> q.tableName(table).keyConditionExpression("#o = :o")
                        .expressionAttributeNames(Map.of("#o", "owner"))
                        .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(NAMED))),
                i -> out.put(Attributes.string(i, "root"), StorePath.parseBaseName(Attributes.string(i, "path"))));
        return out;
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
        forEachCollectionItem(i -> {
            if (Attributes.string(i, "root").equals(GENERATION)) {
                generation[0] = Attributes.number(i, "generation");
            } else if (deleting(read(i), now)) {
                deleting[0] = true;
            }
        });
        return new Deletions(generation[0], deleting[0]);
    }

    private static boolean deleting(CollectionState c, long now) {
        return c.phase().equals(CollectionState.DELETING) && c.leaseUntil() > now;
    }

    /** The collections recorded (the running ones and a week of finished ones), newest first. */
    public List<CollectionState> collections() {
        List<CollectionState> out = new ArrayList<>();
        forEachCollectionItem(i -> {
            if (!Attributes.string(i, "root").equals(GENERATION)) {
                out.add(read(i));
            }
        });
        out.sort(java.util.Comparator.comparingLong(CollectionState::startedAt).reversed()
                .thenComparing(CollectionState::id));
        return out;
    }

    private void forEachCollectionItem(java.util.function.Consumer<Map<String, AttributeValue>> each) {
        QueryPages.forEach(db, q -> q.tableName(table).consistentRead(true).keyConditionExpression("#o = :o")
                        .expressionAttributeNames(Map.of("#o", "owner"))
                        .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(COLLECTIONS))), each);
    }

    private static CollectionState read(Map<String, AttributeValue> i) {
        return new CollectionState(Attributes.string(i, "root"), Attributes.string(i, "phase"),
                count(i, "startedAt"), count(i, "updatedAt"), count(i, "leaseUntil"), count(i, "scanned"),
                count(i, "dead"), count(i, "marked"), count(i, "deleted"), count(i, "bytesFreed"),
                count(i, "removedObjects"), i.containsKey("error") ? Attributes.string(i, "error") : null);
    }

    private static long count(Map<String, AttributeValue> item, String name) {
        return item.containsKey(name) ? Attributes.number(item, name) : 0;
    }

    /**
     * Records collection {@code gc} as started: it scans, in stage {@code stage} of {@code steps}
     * steps. Its record stays a week after it ends (TTL).
     */
    public void startCollection(String gc, String stage, int steps, long now) {
        db.putItem(p -> p.tableName(table).item(Map.of("owner", AttributeValue.fromS(COLLECTIONS),
                        "root", AttributeValue.fromS(gc), "phase", AttributeValue.fromS(CollectionState.SCANNING),
                        "stage", AttributeValue.fromS(stage), "stageSteps", Attributes.num(steps),
                        "stageDone", Attributes.num(0), "startedAt", Attributes.num(now), "updatedAt", Attributes.num(now),
                        "expiresAt", Attributes.num(now + COLLECTION_HISTORY_SECONDS)))
                .conditionExpression("attribute_not_exists(#r)").expressionAttributeNames(Map.of("#r", "root")));
    }

    /**
     * Where a running collection stands: its state, the stage whose steps run, how many it has and
     * how many are done, the plan they carry out, when it announced its deletions (epoch millis), and
     * the stage before ("" for the first).
     */
    public record Stage(CollectionState state, String stage, long steps, long done, String plan, long announcedAtMillis,
                        String previous) {
        public boolean complete() {
            return done >= steps;
        }
    }

    /** Collection {@code gc}'s stage, read consistently; empty if there is no such collection. */
    public Optional<Stage> stage(String gc) {
        Map<String, AttributeValue> item = db.getItem(g -> g.tableName(table).consistentRead(true).key(collectionKey(gc))).item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Stage(read(item), Attributes.optionalString(item, "stage").orElse(""),
                count(item, "stageSteps"), count(item, "stageDone"), Attributes.optionalString(item, "plan").orElse(null),
                count(item, "announcedAt"), Attributes.optionalString(item, "previousStage").orElse("")));
    }

    private static Map<String, AttributeValue> collectionKey(String gc) {
        return Map.of("owner", AttributeValue.fromS(COLLECTIONS), "root", AttributeValue.fromS(gc));
    }

    /**
     * Records step {@code index} of collection {@code gc}'s stage {@code stage} as done, adding
     * {@code counts} to the collection's, once however often the step runs (a queue may deliver it
     * twice): false if it was recorded before, or if the collection has left that stage or ended.
     * Renews the collection's lease until {@code leaseUntil}.
     */
    public boolean completeStep(String gc, String stage, int index, Map<String, Long> counts, long leaseUntil, long now) {
        Map<String, String> names = new HashMap<>(Map.of("#s", "stage", "#d", "stageDone", "#p", "phase",
                "#u", "updatedAt", "#l", "leaseUntil"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":stage", AttributeValue.fromS(stage),
                ":one", Attributes.num(1), ":u", Attributes.num(now), ":l", Attributes.num(leaseUntil),
                ":scanning", AttributeValue.fromS(CollectionState.SCANNING),
                ":deleting", AttributeValue.fromS(CollectionState.DELETING),
                ":sweeping", AttributeValue.fromS(CollectionState.SWEEPING)));
        StringBuilder add = new StringBuilder("ADD #d :one");
        counts.forEach((name, value) -> {
            names.put("#" + name, name);
            values.put(":" + name, Attributes.num(value));
            add.append(", #").append(name).append(" :").append(name);
        });
        TransactWriteItem once = TransactWriteItem.builder().put(software.amazon.awssdk.services.dynamodb.model.Put.builder()
                .tableName(table).item(Map.of("owner", AttributeValue.fromS(STEPS + gc),
                        "root", AttributeValue.fromS(stage + "#" + index),
                        "expiresAt", Attributes.num(now + COLLECTION_HISTORY_SECONDS)))
                .conditionExpression("attribute_not_exists(#r)").expressionAttributeNames(Map.of("#r", "root")).build()).build();
        TransactWriteItem count = TransactWriteItem.builder().update(software.amazon.awssdk.services.dynamodb.model.Update.builder()
                .tableName(table).key(collectionKey(gc)).updateExpression("SET #u = :u, #l = :l " + add)
                .conditionExpression("#s = :stage AND #p IN (:scanning, :deleting, :sweeping)")
                .expressionAttributeNames(names).expressionAttributeValues(values).build()).build();
        return BatchCalls.transactOrFailedConditions(db, List.of(once, count), "recording a step of " + gc).isEmpty();
    }

    /** The owner of a collection's done steps' items (one per step, so that each counts once). */
    private static final String STEPS = "collection-steps#";

    /**
     * Removes the items of collection {@code gc}'s done steps once it has ended (a step delivered
     * after that finds it ended and does nothing), so that they do not weigh on every scan of the roots.
     */
    public void forgetSteps(String gc) {
        deleteOwned(STEPS + gc);
    }

    /**
     * Moves collection {@code gc} from stage {@code from}, all of whose steps are done, to stage
     * {@code to} of {@code steps} steps carrying out {@code plan} (null: the same plan): true for the
     * one caller that moved it, who then starts the new stage's steps.
     */
    public boolean advance(String gc, String from, String to, int steps, String plan, long now) {
        Map<String, String> names = new HashMap<>(Map.of("#s", "stage", "#n", "stageSteps", "#d", "stageDone",
                "#p", "phase", "#u", "updatedAt", "#prev", "previousStage"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":from", AttributeValue.fromS(from),
                ":to", AttributeValue.fromS(to), ":n", Attributes.num(steps), ":zero", Attributes.num(0),
                ":u", Attributes.num(now), ":scanning", AttributeValue.fromS(CollectionState.SCANNING),
                ":deleting", AttributeValue.fromS(CollectionState.DELETING),
                ":sweeping", AttributeValue.fromS(CollectionState.SWEEPING)));
        String set = "SET #s = :to, #n = :n, #d = :zero, #u = :u, #prev = :from";
        if (plan != null) {
            names.put("#plan", "plan");
            values.put(":plan", AttributeValue.fromS(plan));
            set += ", #plan = :plan";
        }
        try {
            update(gc, set, "#s = :from AND #d >= #n AND #p IN (:scanning, :deleting, :sweeping)", names, values);
            return true;
        } catch (CollectionLostException movedOrEnded) {
            return false;
        }
    }

    /** Renews the lease of collection {@code gc}, which deletes, until {@code leaseUntil}. */
    public void renewLease(String gc, long leaseUntil, long now) {
        update(gc, "SET #l = :l, #u = :u", "#p = :deleting", Map.of("#l", "leaseUntil", "#u", "updatedAt", "#p", "phase"),
                Map.of(":l", Attributes.num(leaseUntil), ":u", Attributes.num(now),
                        ":deleting", AttributeValue.fromS(CollectionState.DELETING)));
    }

    /**
     * A transaction's check that collection {@code gc} still marks (it deletes, and its stage is
     * {@code stage}): a step delivered again after its stage ended marks nothing, as the roots were
     * read again after the marks.
     */
    public TransactWriteItem stillMarking(String gc, String stage) {
        return TransactWriteItem.builder().conditionCheck(ConditionCheck.builder().tableName(table).key(collectionKey(gc))
                .conditionExpression("#p = :deleting AND #s = :stage")
                .expressionAttributeNames(Map.of("#p", "phase", "#s", "stage"))
                .expressionAttributeValues(Map.of(":deleting", AttributeValue.fromS(CollectionState.DELETING),
                        ":stage", AttributeValue.fromS(stage))).build()).build();
    }

    private static final long COLLECTION_HISTORY_SECONDS = 7 * 24 * 3600;

    private static void setCounts(Map<String, Long> counts, StringBuilder set, Map<String, String> names,
                                  Map<String, AttributeValue> values) {
        counts.forEach((name, value) -> {
            names.put("#" + name, name);
            values.put(":" + name, Attributes.num(value));
            set.append(", #").append(name).append(" = :").append(name);
        });
    }

    /**
     * Collection {@code gc} goes from scanning to deleting, under a lease until {@code leaseUntil},
     * announced at {@code nowMillis}: its record says so first, then the generation moves, so a reader
     * that sees the new generation also sees the collection deleting. Announcing again (a step that
     * runs twice) moves the generation again, harmlessly.
     */
    public void beginDeletions(String gc, long leaseUntil, long nowMillis) {
        update(gc, "SET #p = :deleting, #l = :l, #u = :u, #a = :a", "#p IN (:scanning, :deleting)",
                Map.of("#p", "phase", "#l", "leaseUntil", "#u", "updatedAt", "#a", "announcedAt"),
                Map.of(":deleting", AttributeValue.fromS(CollectionState.DELETING), ":l", Attributes.num(leaseUntil),
                        ":u", Attributes.num(nowMillis / 1000), ":a", Attributes.num(nowMillis),
                        ":scanning", AttributeValue.fromS(CollectionState.SCANNING)));
        nextGeneration();
    }

    /**
     * Collection {@code gc} deleted what it would: the generation moves again, then its record leaves
     * the deleting phase for {@code next} (unless another collection took it over meanwhile).
     */
    public void endDeletions(String gc, String next, long now) {
        nextGeneration();
        try {
            update(gc, "SET #p = :next, #u = :u REMOVE #l", "#p = :deleting",
                    Map.of("#p", "phase", "#l", "leaseUntil", "#u", "updatedAt"),
                    Map.of(":next", AttributeValue.fromS(next), ":u", Attributes.num(now),
                            ":deleting", AttributeValue.fromS(CollectionState.DELETING)));
        } catch (CollectionLostException abandoned) {
            // abandoned meanwhile: its record says so already
        }
    }

    /**
     * Collection {@code gc} ended with {@code counts}: done, or failed with {@code error}; either way it
     * changes nothing more.
     */
    public void finishCollection(String gc, String phase, String error, Map<String, Long> counts, long now) {
        Map<String, String> names = new HashMap<>(Map.of("#p", "phase", "#u", "updatedAt", "#l", "leaseUntil"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":phase", AttributeValue.fromS(phase),
                ":u", Attributes.num(now), ":abandoned", AttributeValue.fromS(CollectionState.ABANDONED)));
        StringBuilder set = new StringBuilder("SET #p = :phase, #u = :u");
        setCounts(counts, set, names, values);
        if (error != null) {
            names.put("#e", "error");
            values.put(":e", AttributeValue.fromS(error));
            set.append(", #e = :e");
        }
        try {
            update(gc, set + " REMOVE #l", "#p <> :abandoned", names, values);
        } catch (CollectionLostException abandoned) {
            // its record says abandoned, which stays
        }
    }

    /**
     * Takes over from collection {@code gc}, whose lease ran out before {@code now}: its record says
     * abandoned, after which none of its deletes can commit ({@link #stillDeleting}). False if it
     * renewed its lease or ended meanwhile.
     */
    public boolean abandon(String gc, long now) {
        try {
            update(gc, "SET #p = :abandoned", "#p = :deleting AND #l < :now",
                    Map.of("#p", "phase", "#l", "leaseUntil"),
                    Map.of(":abandoned", AttributeValue.fromS(CollectionState.ABANDONED), ":now", Attributes.num(now),
                            ":deleting", AttributeValue.fromS(CollectionState.DELETING)));
            return true;
        } catch (CollectionLostException renewed) {
            return false;
        }
    }

    /**
     * A transaction's check that collection {@code gc} still deletes (nobody abandoned it): every
     * delete of a collection carries one, so a collection that was taken over deletes nothing more.
     */
    public TransactWriteItem stillDeleting(String gc) {
        return TransactWriteItem.builder().conditionCheck(ConditionCheck.builder().tableName(table).key(collectionKey(gc))
                .conditionExpression("#p = :deleting").expressionAttributeNames(Map.of("#p", "phase"))
                .expressionAttributeValues(Map.of(":deleting", AttributeValue.fromS(CollectionState.DELETING)))
                .build()).build();
    }

    /** A collection's record is not in the phase it expected: another collection took it over. */
    public static final class CollectionLostException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CollectionLostException(String gc) {
            super("collection " + gc + " was taken over by another after its lease ran out; it stopped");
        }
    }

    private void update(String gc, String expression, String condition, Map<String, String> names,
                        Map<String, AttributeValue> values) {
        try {
            db.updateItem(u -> u.tableName(table).key(collectionKey(gc)).updateExpression(expression)
                    .conditionExpression(condition).expressionAttributeNames(names).expressionAttributeValues(values));
        } catch (ConditionalCheckFailedException e) {
            throw new CollectionLostException(gc);
        }
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
                } else if (item.containsKey("paths")) {
                    List<StorePath> roots = temporary.computeIfAbsent(session, s -> new ArrayList<>());
                    item.get("paths").ss().forEach(p -> roots.add(StorePath.parseBaseName(p)));
                } else { // an item a path, as versions before the sets wrote (during a deploy both run)
                    temporary.computeIfAbsent(session, s -> new ArrayList<>())
                            .add(StorePath.parseBaseName(Attributes.string(item, "path")));
                }
            }
        });
        return new Snapshot(named, temporary, leases);
    }

    /** The bucket sweep's steps under way (id: until when each may delete, epoch millis), and when the last ended. */
    public record Sweeps(Map<String, Long> running, long lastEndedMillis) {}

    /** Records sweep step {@code id} as under way, deleting nothing after {@code untilMillis}. */
    public void sweepStarted(String id, long untilMillis) {
        db.putItem(p -> p.tableName(table).item(Map.of("owner", AttributeValue.fromS(SWEEPS),
                "root", AttributeValue.fromS(SWEEP_STEP + id), "until", Attributes.num(untilMillis),
                "expiresAt", Attributes.num(untilMillis / 1000 + TEMP_ROOT_TTL_SECONDS))));
    }

    /** Records sweep step {@code id} as ended at {@code nowMillis}: first when the last ended, then the step gone. */
    public void sweepEnded(String id, long nowMillis) {
        try {
            db.updateItem(u -> u.tableName(table).key(Map.of("owner", AttributeValue.fromS(SWEEPS),
                            "root", AttributeValue.fromS(SWEEPS_ENDED)))
                    .updateExpression("SET #a = :now").conditionExpression("attribute_not_exists(#a) OR #a < :now")
                    .expressionAttributeNames(Map.of("#a", "at")).expressionAttributeValues(Map.of(":now", Attributes.num(nowMillis))));
        } catch (ConditionalCheckFailedException e) {
            // another step ended later: that is the last end
        }
        db.deleteItem(d -> d.tableName(table).key(Map.of("owner", AttributeValue.fromS(SWEEPS),
                "root", AttributeValue.fromS(SWEEP_STEP + id))));
    }

    /** One strongly consistent read of the sweep's steps. */
    public Sweeps sweeps() {
        Map<String, Long> running = new TreeMap<>();
        long[] ended = {0};
        QueryPages.forEach(db, q -> q.tableName(table).consistentRead(true).keyConditionExpression("#o = :o")
                .expressionAttributeNames(Map.of("#o", "owner"))
                .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(SWEEPS))), i -> {
            String root = Attributes.string(i, "root");
            if (root.equals(SWEEPS_ENDED)) {
                ended[0] = Attributes.number(i, "at");
            } else if (root.startsWith(SWEEP_STEP)) {
                running.put(root.substring(SWEEP_STEP.length()), Attributes.number(i, "until"));
            }
        });
        return new Sweeps(running, ended[0]);
    }

    private static Map<String, AttributeValue> lease(String session, long until) {
        return Map.of("owner", AttributeValue.fromS(SESSION + session), "root", AttributeValue.fromS(LEASE),
                "expiresAt", Attributes.num(until));
    }
}
