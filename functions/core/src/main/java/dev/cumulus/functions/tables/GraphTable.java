package dev.cumulus.functions.tables;

import dev.cumulus.model.event.GraphEvents.SubmissionState;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;

/**
 * The build-graph table. {@code step#<drv base name>}: one derivation of some graph, shared by
 * every submission that needs it: its {@code state} ({@value #WAITING} for {@code pending} inputs,
 * {@value #BUILDING} as build {@code build}, {@value #SUBSTITUTING} as substitution {@code job},
 * {@value #BUILT} with its {@code outputs}, {@value #FAILED} with a {@code status} and {@code error}
 * and the {@code failingStep}), the steps waiting for it ({@code dependents}) and the submissions
 * that need it ({@code submissions}). {@code submission#<id>}: what was asked, its state and, once
 * ended, its status, failing step and outputs. Items expire a week after they end.
 *
 * <p>A step's {@code pending} count and {@code dependents} are kept consistent without locks: a
 * step is written with a count of all its inputs before it adds itself to each input's dependents,
 * and that update answers the input's state; whoever moves an input to its end reads its
 * dependents in the same update. So each dependent is counted down exactly once, by the input's end
 * or by itself, and the count reaches zero in one update, which starts it.
 */
public final class GraphTable {
    public static final String WAITING = "waiting";
    public static final String BUILDING = "building";
    public static final String SUBSTITUTING = "substituting";
    public static final String BUILT = "built";
    public static final String FAILED = "failed";
    private static final String STEP = "step#";
    private static final String SUBMISSION = "submission#";

    private final DynamoDbClient db;
    private final String table;

    public GraphTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    /** A step as stored; {@code key} is its derivation's base name. */
    public record Step(String key, String drvPath, String state, long pending, Set<String> dependents,
                       Set<String> submissions, String build, String job, Map<String, String> outputs, String status,
                       String error, String failingStep) {
        public boolean ended() {
            return BUILT.equals(state) || FAILED.equals(state);
        }
    }

    /** Writes a new step unless one exists; answers whether this call wrote it. */
    public boolean putStep(String key, String drvPath, String state, long pending, String submission,
                           Map<String, String> outputs, long expiresAt) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS(STEP + key));
        item.put("drv", AttributeValue.fromS(drvPath));
        item.put("state", AttributeValue.fromS(state));
        item.put("pending", Attributes.num(pending));
        item.put("submissions", AttributeValue.fromSs(List.of(submission)));
        item.put("outputs", map(outputs));
        item.put("expiresAt", Attributes.num(expiresAt));
        try {
            db.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(id)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    public Optional<Step> step(String key) {
        var item = db.getItem(g -> g.tableName(table).key(key(STEP + key)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(step(item));
    }

    /** The steps of {@code keys} that exist, by key (consistent reads). */
    public Map<String, Step> steps(Collection<String> keys) {
        Map<String, Step> out = new LinkedHashMap<>();
        List<Map<String, AttributeValue>> wanted = new TreeSet<>(keys).stream().map(k -> key(STEP + k)).toList();
        BatchCalls.getAll(db, table, new ArrayList<>(wanted), null, Map.of()).forEach(item -> {
            Step s = step(item);
            out.put(s.key(), s);
        });
        return out;
    }

    /** Adds {@code submission} to the step's submissions; answers the step as it is then. */
    public Step join(String key, String submission) {
        return step(db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("ADD submissions :s")
                .conditionExpression("attribute_exists(id)")
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromSs(List.of(submission))))
                .returnValues(ReturnValue.ALL_NEW)).attributes());
    }

    /** Takes {@code submission} off the step's submissions; answers the step as it is then. */
    public Step leave(String key, String submission) {
        return step(db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("DELETE submissions :s")
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromSs(List.of(submission))))
                .returnValues(ReturnValue.ALL_NEW)).attributes());
    }

    /** Makes {@code dependent} wait for step {@code key}; answers that step as it is then (see the class comment). */
    public Step addDependent(String key, String dependent) {
        return step(db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("ADD dependents :d")
                .expressionAttributeValues(Map.of(":d", AttributeValue.fromSs(List.of(dependent))))
                .returnValues(ReturnValue.ALL_NEW)).attributes());
    }

    /** One input of the step ended built: its count of pending inputs, after. */
    public long inputBuilt(String key) {
        var after = db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("ADD pending :minus")
                .expressionAttributeValues(Map.of(":minus", Attributes.num(-1)))
                .returnValues(ReturnValue.UPDATED_NEW)).attributes();
        return Attributes.number(after, "pending");
    }

    /** Moves a {@value #WAITING} step to {@code state} (building or substituting, as {@code build}/{@code job}); false if it was not waiting. */
    public boolean start(String key, String state, String field, String value) {
        try {
            db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("SET #s = :s, #f = :v")
                    .conditionExpression("#s = :waiting")
                    .expressionAttributeNames(Map.of("#s", "state", "#f", field))
                    .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(state), ":v", AttributeValue.fromS(value),
                            ":waiting", AttributeValue.fromS(WAITING))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Records what a started step is done as (its build or job), for the end to find it by. */
    public void startedAs(String key, String field, String value) {
        db.updateItem(u -> u.tableName(table).key(key(STEP + key)).updateExpression("SET #f = :v")
                .expressionAttributeNames(Map.of("#f", field))
                .expressionAttributeValues(Map.of(":v", AttributeValue.fromS(value))));
    }

    /**
     * Ends a step that has not ended: built with {@code outputs}, or failed with {@code status},
     * {@code error} and the step whose failure it is. Answers the step as ended (its dependents and
     * submissions in it), or empty when it had ended already.
     */
    public Optional<Step> end(String key, String state, Map<String, String> outputs, String status, String error,
                              String failingStep, long expiresAt) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":s", AttributeValue.fromS(state));
        values.put(":built", AttributeValue.fromS(BUILT));
        values.put(":failed", AttributeValue.fromS(FAILED));
        values.put(":o", map(outputs));
        values.put(":st", AttributeValue.fromS(status == null ? "" : status));
        values.put(":e", AttributeValue.fromS(error == null ? "" : error));
        values.put(":fs", AttributeValue.fromS(failingStep == null ? "" : failingStep));
        values.put(":x", Attributes.num(expiresAt));
        try {
            return Optional.of(step(db.updateItem(u -> u.tableName(table).key(key(STEP + key))
                    .updateExpression("SET #s = :s, outputs = :o, #st = :st, #e = :e, failingStep = :fs, expiresAt = :x")
                    .conditionExpression("attribute_exists(id) AND #s <> :built AND #s <> :failed")
                    .expressionAttributeNames(Map.of("#s", "state", "#st", "status", "#e", "error"))
                    .expressionAttributeValues(values).returnValues(ReturnValue.ALL_NEW)).attributes()));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    /** Removes a step that has ended (built or failed), so that a new submission records it afresh. */
    public void forgetEnded(String key) {
        try {
            db.deleteItem(d -> d.tableName(table).key(key(STEP + key)).conditionExpression("#s = :built OR #s = :failed")
                    .expressionAttributeNames(Map.of("#s", "state"))
                    .expressionAttributeValues(Map.of(":built", AttributeValue.fromS(BUILT), ":failed", AttributeValue.fromS(FAILED))));
        } catch (ConditionalCheckFailedException e) {
            // it started again meanwhile: joined below
        }
    }

    public void putSubmission(SubmissionState s, String source, long timeout, long maxSilent, long expiresAt) {
        Map<String, AttributeValue> item = new HashMap<>(submissionItem(s));
        item.put("source", AttributeValue.fromS(source));
        item.put("timeout", Attributes.num(timeout));
        item.put("maxSilent", Attributes.num(maxSilent));
        item.put("expiresAt", Attributes.num(expiresAt));
        db.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(id)"));
    }

    /** A submission as stored, and the limits its builds run under and the steps it needs. */
    public record Submission(SubmissionState state, String source, long timeout, long maxSilent,
                             Set<String> steps) {}

    public Optional<Submission> submission(String id) {
        var item = db.getItem(g -> g.tableName(table).key(key(SUBMISSION + id)).consistentRead(true)).item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> outputs = new TreeMap<>();
        AttributeValue o = item.get("outputPaths");
        if (o != null && o.hasM()) {
            o.m().forEach((k, v) -> outputs.put(k, v.s()));
        }
        SubmissionState state = new SubmissionState(id, Attributes.string(item, "drv"), Attributes.strings(item, "wanted"),
                Attributes.string(item, "state"), text(item, "status"), text(item, "error"), text(item, "failingStep"),
                text(item, "failingStatus"), text(item, "failingLog"), text(item, "failingBuild"), outputs, List.of(),
                Attributes.number(item, "submittedAt"), Attributes.number(item, "stopTime"));
        AttributeValue steps = item.get("steps");
        return Optional.of(new Submission(state, Attributes.optionalString(item, "source").orElse(""),
                Attributes.number(item, "timeout"), Attributes.number(item, "maxSilent"),
                steps != null && steps.hasSs() ? new TreeSet<>(steps.ss()) : Set.of()));
    }

    /** Records the steps a submission needs (its graph, walked), so that abandoning it can let them go. */
    public void addSteps(String id, Collection<String> steps) {
        if (steps.isEmpty()) {
            return;
        }
        db.updateItem(u -> u.tableName(table).key(key(SUBMISSION + id)).updateExpression("ADD steps :s")
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromSs(List.copyOf(steps)))));
    }

    /** Ends a running submission as {@code s} says; false when it had ended already. */
    public boolean endSubmission(SubmissionState s, long expiresAt) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":ended", AttributeValue.fromS(SubmissionState.ENDED));
        values.put(":status", AttributeValue.fromS(s.status()));
        values.put(":error", AttributeValue.fromS(s.error() == null ? "" : s.error()));
        values.put(":fs", AttributeValue.fromS(s.failingStep() == null ? "" : s.failingStep()));
        values.put(":fl", AttributeValue.fromS(s.failingLog() == null ? "" : s.failingLog()));
        values.put(":fst", AttributeValue.fromS(s.failingStatus() == null ? "" : s.failingStatus()));
        values.put(":fb", AttributeValue.fromS(s.failingBuild() == null ? "" : s.failingBuild()));
        values.put(":o", map(s.outputPaths()));
        values.put(":t", Attributes.num(s.stopTime()));
        values.put(":x", Attributes.num(expiresAt));
        try {
            db.updateItem(u -> u.tableName(table).key(key(SUBMISSION + s.id()))
                    .updateExpression("SET #s = :ended, #st = :status, #e = :error, failingStep = :fs, failingStatus = :fst, "
                            + "failingLog = :fl, failingBuild = :fb, outputPaths = :o, stopTime = :t, expiresAt = :x")
                    .conditionExpression("attribute_exists(id) AND #s <> :ended")
                    .expressionAttributeNames(Map.of("#s", "state", "#st", "status", "#e", "error"))
                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** A string attribute; absent or empty (as an ended submission writes what it lacks) is null. */
    private static String text(Map<String, AttributeValue> item, String name) {
        return Attributes.optionalString(item, name).filter(s -> !s.isEmpty()).orElse(null);
    }

    private static Map<String, AttributeValue> submissionItem(SubmissionState s) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS(SUBMISSION + s.id()));
        item.put("drv", AttributeValue.fromS(s.drvPath()));
        item.put("wanted", Attributes.list(s.outputs()));
        item.put("state", AttributeValue.fromS(s.state()));
        item.put("submittedAt", Attributes.num(s.submittedAt()));
        return item;
    }

    private static Step step(Map<String, AttributeValue> item) {
        Map<String, String> outputs = new TreeMap<>();
        AttributeValue o = item.get("outputs");
        if (o != null && o.hasM()) {
            o.m().forEach((k, v) -> outputs.put(k, v.s()));
        }
        return new Step(Attributes.string(item, "id").substring(STEP.length()), Attributes.string(item, "drv"),
                Attributes.string(item, "state"), Attributes.number(item, "pending"), stringSet(item, "dependents"),
                stringSet(item, "submissions"), Attributes.optionalString(item, "build").orElse(null),
                Attributes.optionalString(item, "job").orElse(null), outputs,
                Attributes.optionalString(item, "status").filter(x -> !x.isEmpty()).orElse(null),
                Attributes.optionalString(item, "error").filter(x -> !x.isEmpty()).orElse(null),
                Attributes.optionalString(item, "failingStep").filter(x -> !x.isEmpty()).orElse(null));
    }

    private static Set<String> stringSet(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || !v.hasSs() ? Set.of() : new TreeSet<>(v.ss());
    }

    private static AttributeValue map(Map<String, String> values) {
        Map<String, AttributeValue> m = new TreeMap<>();
        values.forEach((k, v) -> m.put(k, AttributeValue.fromS(v)));
        return AttributeValue.fromM(m);
    }

    private static Map<String, AttributeValue> key(String id) {
        return Map.of("id", AttributeValue.fromS(id));
    }
}
