package dev.cumulus.functions.tables;

import dev.cumulus.model.event.BuildEvents.BuildState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The builds table: one item per build request, keyed by the request's hash. Its {@code state}
 * moves queued → running → built or failed, each step a conditional write, so that two runners,
 * a runner and a dead-letter handler, or two submitters never both win.
 */
public final class BuildsTable {
    private final DynamoDbClient db;
    private final String table;

    public BuildsTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /**
     * Records a new queued build with one waiter unless the same request is queued or running
     * already, in which case the submitter becomes one more waiter of that build.
     *
     * @return empty when recorded; the outstanding build otherwise
     */
    public Optional<BuildState> putIfNotOutstanding(BuildState build, List<String> inputs) {
        for (int tries = 0; ; tries++) {
            if (tryPut(build, inputs)) {
                return Optional.empty();
            }
            try {
                return Optional.of(addWaiters(build.id(), 1));
            } catch (ConditionalCheckFailedException ended) {
                // it ended between the two writes: record it anew
                if (tries == 3) {
                    throw ended;
                }
            }
        }
    }

    /** Whether the build was recorded (false: the same request is outstanding). */
    private boolean tryPut(BuildState build, List<String> inputs) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("inputs", AttributeValue.fromL(inputs.stream().map(AttributeValue::fromS).toList()));
        item.put("id", AttributeValue.fromS(build.id()));
        item.put("drvPath", AttributeValue.fromS(build.drvPath()));
        if (build.pool() != null) {
            item.put("pool", AttributeValue.fromS(build.pool()));
        }
        item.put("state", AttributeValue.fromS(BuildState.QUEUED));
        item.put("attempts", Attributes.num(0));
        item.put("waiters", Attributes.num(1));
        item.put("submittedAt", Attributes.num(build.submittedAt()));
        item.put("outputs", map(build.outputs()));
        item.put("outputHashes", map(build.outputHashes()));
        try {
            db.putItem(p -> p.tableName(table).item(item)
                    .conditionExpression("attribute_not_exists(id) OR (#s <> :q AND #s <> :r)")
                    .expressionAttributeNames(Map.of("#s", "state"))
                    .expressionAttributeValues(Map.of(":q", AttributeValue.fromS(BuildState.QUEUED),
                            ":r", AttributeValue.fromS(BuildState.RUNNING))));
            return true;
        } catch (ConditionalCheckFailedException outstanding) {
            return false;
        }
    }

    private BuildState addWaiters(String id, int delta) {
        return state(db.updateItem(u -> u.tableName(table).key(key(id))
                .updateExpression("ADD waiters :d")
                .conditionExpression("#s IN (:q, :r)")
                .expressionAttributeNames(Map.of("#s", "state"))
                .expressionAttributeValues(Map.of(":d", Attributes.num(delta),
                        ":q", AttributeValue.fromS(BuildState.QUEUED), ":r", AttributeValue.fromS(BuildState.RUNNING)))
                .returnValues(ReturnValue.ALL_NEW)).attributes());
    }

    /**
     * A build as a call that may end it left it: {@code endedNow} when that call ended it, false when
     * it had ended already (or, abandoned, still has waiters).
     */
    public record Ending(BuildState state, boolean endedNow) {}

    /**
     * One waiter of an outstanding build no longer waits; when it was the last, the build ends as
     * failed with {@code error} (unless a new waiter came meanwhile: the end is conditional on none).
     *
     * @return the build as it is afterwards
     */
    public Ending abandon(String id, String status, String error, long stopTime, long expiresAt) {
        BuildState left;
        try {
            left = addWaiters(id, -1);
        } catch (ConditionalCheckFailedException ended) {
            return new Ending(get(id).orElseThrow(() -> new IllegalStateException("build " + id + " is not recorded")), false);
        }
        if (left.waiters() > 0) {
            return new Ending(left, false);
        }
        return finish(id, BuildState.FAILED, status, error, Map.of(), stopTime, expiresAt, NO_LOG_END, true);
    }

    public Optional<BuildState> get(String id) {
        var response = db.getItem(g -> g.tableName(table).key(key(id)).consistentRead(true));
        return response.hasItem() && !response.item().isEmpty() ? Optional.of(state(response.item())) : Optional.empty();
    }

    /** A build as recorded, with where its log ends ({@link #NO_LOG_END} while running or not known). */
    public record Recorded(BuildState state, long logEnd) {}

    /** The builds recorded among {@code ids}, by id, in one strongly consistent read. */
    public Map<String, Recorded> getAll(List<String> ids) {
        Map<String, Recorded> out = new HashMap<>();
        for (Map<String, AttributeValue> item : BatchCalls.getAll(db, table, ids.stream().map(BuildsTable::key).toList(),
                null, Map.of())) {
            BuildState s = state(item);
            out.put(s.id(), new Recorded(s, item.containsKey("logEnd") ? Attributes.number(item, "logEnd") : NO_LOG_END));
        }
        return out;
    }

    /** Marks the build running for this attempt; false when it has ended meanwhile. */
    public boolean start(String id, String runner, int attempt, long now) {
        try {
            db.updateItem(u -> u.tableName(table).key(key(id))
                    .updateExpression("SET #s = :r, attempts = :a, startTime = :t, runner = :w")
                    .conditionExpression("#s IN (:q, :r)")
                    .expressionAttributeNames(Map.of("#s", "state"))
                    .expressionAttributeValues(Map.of(":r", AttributeValue.fromS(BuildState.RUNNING),
                            ":q", AttributeValue.fromS(BuildState.QUEUED),
                            ":a", Attributes.num(attempt), ":t", Attributes.num(now), ":w", AttributeValue.fromS(runner))));
            return true;
        } catch (ConditionalCheckFailedException ended) {
            return false;
        }
    }

    /**
     * Ends an outstanding build as built or failed; {@code expiresAt} is when the item may go.
     *
     * @return the build as it ended, or as it was when it had ended already
     */
    public Ending finish(String id, String state, String status, String error, Map<String, String> outputs,
                         long stopTime, long expiresAt) {
        return finish(id, state, status, error, outputs, stopTime, expiresAt, NO_LOG_END, false);
    }

    /**
     * As {@link #finish(String, String, String, String, Map, long, long)}, recording where the build's
     * log ends: the chunk number after its last ({@link #NO_LOG_END} when not known).
     */
    public Ending finish(String id, String state, String status, String error, Map<String, String> outputs,
                         long stopTime, long expiresAt, long logEnd) {
        return finish(id, state, status, error, outputs, stopTime, expiresAt, logEnd, false);
    }

    /** A log end that is not known: the log must be read to find out. */
    public static final long NO_LOG_END = -1;

    /**
     * The same end as {@link #finish(String, String, String, String, Map, long, long)}, as an update for
     * a transaction (whose condition fails when the build has ended already).
     */
    public TransactWriteItem finishItem(String id, String state, String status, String error, Map<String, String> outputs,
                                        long stopTime, long expiresAt, long logEnd) {
        return TransactWriteItem.builder().update(Update.builder().tableName(table).key(key(id))
                .updateExpression(finishExpression(logEnd)).conditionExpression(OUTSTANDING)
                .expressionAttributeNames(FINISH_NAMES)
                .expressionAttributeValues(finishValues(state, status, error, outputs, stopTime, expiresAt, logEnd))
                .build()).build();
    }

    private static final String OUTSTANDING = "#s IN (:q, :r)";
    private static final Map<String, String> FINISH_NAMES = Map.of("#s", "state", "#status", "status", "#error", "error");

    private static String finishExpression(long logEnd) {
        return "SET #s = :s, #status = :st, #error = :e, outputs = :o, stopTime = :t, expiresAt = :x"
                + (logEnd == NO_LOG_END ? "" : ", logEnd = :l");
    }

    private static Map<String, AttributeValue> finishValues(String state, String status, String error,
                                                            Map<String, String> outputs, long stopTime, long expiresAt,
                                                            long logEnd) {
        Map<String, AttributeValue> values = new HashMap<>();
        if (logEnd != NO_LOG_END) {
            values.put(":l", Attributes.num(logEnd));
        }
        values.put(":s", AttributeValue.fromS(state));
        values.put(":st", AttributeValue.fromS(status));
        values.put(":e", AttributeValue.fromS(error == null ? "" : error));
        values.put(":o", map(outputs));
        values.put(":t", Attributes.num(stopTime));
        values.put(":x", Attributes.num(expiresAt));
        values.put(":q", AttributeValue.fromS(BuildState.QUEUED));
        values.put(":r", AttributeValue.fromS(BuildState.RUNNING));
        return values;
    }

    private Ending finish(String id, String state, String status, String error, Map<String, String> outputs,
                          long stopTime, long expiresAt, long logEnd, boolean onlyUnwaited) {
        Map<String, AttributeValue> values = finishValues(state, status, error, outputs, stopTime, expiresAt, logEnd);
        if (onlyUnwaited) {
            values.put(":none", Attributes.num(0));
        }
        try {
            var updated = db.updateItem(u -> u.tableName(table).key(key(id))
                    .updateExpression(finishExpression(logEnd))
                    .conditionExpression(onlyUnwaited ? OUTSTANDING + " AND waiters <= :none" : OUTSTANDING)
                    .expressionAttributeNames(FINISH_NAMES)
                    .expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW));
            return new Ending(state(updated.attributes()), true);
        } catch (ConditionalCheckFailedException ended) {
            return new Ending(get(id).orElseThrow(() -> new IllegalStateException("build " + id + " is not recorded")), false);
        }
    }

    public record Page(List<BuildState> builds, Optional<String> next) {}

    /**
     * Up to {@code limit} builds in {@code state}, newest first, after the page token {@code after}:
     * one Query of the index, whatever the table's size.
     */
    public Page inState(String state, Optional<String> after, int limit) {
        QueryResponse r = db.query(q -> {
            q.tableName(table).indexName("by-state").keyConditionExpression("#s = :s")
                    .expressionAttributeNames(Map.of("#s", "state"))
                    .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(state))).scanIndexForward(false).limit(limit);
            after.ifPresent(token -> {
                int dash = token.indexOf('-');
                if (dash < 1) {
                    throw new IllegalArgumentException("not a page token: " + token);
                }
                q.exclusiveStartKey(Map.of("id", AttributeValue.fromS(token.substring(dash + 1)),
                        "state", AttributeValue.fromS(state), "submittedAt", AttributeValue.fromN(token.substring(0, dash))));
            });
        });
        List<BuildState> builds = r.items().stream().map(BuildsTable::state).toList();
        Optional<String> next = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
                ? Optional.of(r.lastEvaluatedKey().get("submittedAt").n() + "-" + r.lastEvaluatedKey().get("id").s())
                : Optional.empty();
        return new Page(builds, next);
    }

    /** The last {@code limit} builds of the derivation {@code drvPath} (as printed), newest first: one Query. */
    public List<BuildState> ofDerivation(String drvPath, int limit) {
        return db.query(q -> q.tableName(table).indexName("by-drv").keyConditionExpression("#d = :d")
                        .expressionAttributeNames(Map.of("#d", "drvPath"))
                        .expressionAttributeValues(Map.of(":d", AttributeValue.fromS(drvPath))).scanIndexForward(false)
                        .limit(limit))
                .items().stream().map(BuildsTable::state).toList();
    }

    /** Up to {@code limit} builds, in no particular order, after the page token {@code after}. */
    public Page list(Optional<String> after, int limit) {
        ScanResponse r = db.scan(s -> {
            s.tableName(table).limit(limit).consistentRead(true);
            after.ifPresent(a -> s.exclusiveStartKey(key(a)));
        });
        List<BuildState> builds = new ArrayList<>();
        r.items().forEach(i -> builds.add(state(i)));
        Optional<String> next = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
                ? Optional.of(r.lastEvaluatedKey().get("id").s()) : Optional.empty();
        return new Page(builds, next);
    }

    /**
     * What a build keeps alive for the garbage collector: its inputs while it is queued or running
     * (the runner fetches them), its outputs once built (until the waiting clients root them).
     */
    public record Held(String state, long stopTime, List<String> inputs, List<String> outputs) {}

    /** Every build's held paths, read consistently. */
    public List<Held> scanHeld() {
        List<Held> out = new ArrayList<>();
        QueryPages.scanAll(db, table, i -> out.add(new Held(Attributes.string(i, "state"), Attributes.number(i, "stopTime"),
                Attributes.strings(i, "inputs"), List.copyOf(strings(i, "outputs").values()))));
        return out;
    }

    private static Map<String, AttributeValue> key(String id) {
        return Map.of("id", AttributeValue.fromS(id));
    }

    private static AttributeValue map(Map<String, String> m) {
        Map<String, AttributeValue> out = new HashMap<>();
        m.forEach((k, v) -> out.put(k, AttributeValue.fromS(v)));
        return AttributeValue.fromM(out);
    }

    private static Map<String, String> strings(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        Map<String, String> out = new HashMap<>();
        if (v != null && v.hasM()) {
            v.m().forEach((k, s) -> out.put(k, s.s()));
        }
        return out;
    }

    private static BuildState state(Map<String, AttributeValue> item) {
        return new BuildState(Attributes.string(item, "id"), Attributes.string(item, "drvPath"),
                Attributes.string(item, "state"), Attributes.optionalString(item, "status").orElse(null),
                Attributes.optionalString(item, "error").filter(e -> !e.isEmpty()).orElse(null),
                strings(item, "outputs"), strings(item, "outputHashes"), (int) Attributes.number(item, "attempts"),
                Attributes.number(item, "submittedAt"), Attributes.number(item, "startTime"),
                Attributes.number(item, "stopTime"), Attributes.optionalString(item, "pool").orElse(null),
                Attributes.optionalString(item, "runner").orElse(null),
                Attributes.number(item, "waiters"), List.of(), 0);
    }
}
