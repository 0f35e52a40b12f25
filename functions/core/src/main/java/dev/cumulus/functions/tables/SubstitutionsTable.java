package dev.cumulus.functions.tables;

import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * The substitutions table. {@code job#<id>}: a job's state ({@code queued}, {@code running},
 * {@code done}), when it was submitted and ended, how many paths it fetched and what failed (path
 * or realisation id to reason). {@code path#<hash part>}: the job fetching that path ({@code owner})
 * and until when its claim holds ({@code until}), so that a path many ask for is fetched once and
 * the claim of a job that died lapses. Every item expires ({@code expiresAt}).
 */
public final class SubstitutionsTable {
    private static final String JOB = "job#";
    private static final String PATH = "path#";
    /** One transaction's worth of claims. */
    public static final int MAX_CLAIMS = 100;

    private final DynamoDbClient db;
    private final String table;

    public SubstitutionsTable(DynamoDbClient db, String table) {
        this.db = db;
        this.table = table;
    }

    public void putJob(String id, long submittedAt, long expiresAt) {
        db.putItem(p -> p.tableName(table).item(Map.of("id", AttributeValue.fromS(JOB + id),
                "state", AttributeValue.fromS(SubstitutionState.QUEUED), "submittedAt", Attributes.num(submittedAt),
                "expiresAt", Attributes.num(expiresAt))));
    }

    public Optional<SubstitutionState> job(String id) {
        var item = db.getItem(g -> g.tableName(table).key(key(JOB + id)).consistentRead(true)).item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> failed = new TreeMap<>();
        AttributeValue f = item.get("failed");
        if (f != null && f.hasM()) {
            f.m().forEach((k, v) -> failed.put(k, v.s()));
        }
        return Optional.of(new SubstitutionState(id, Attributes.string(item, "state"), failed,
                Attributes.number(item, "fetched"), Attributes.number(item, "submittedAt"),
                Attributes.number(item, "stopTime")));
    }

    public void running(String id) {
        db.updateItem(u -> u.tableName(table).key(key(JOB + id)).updateExpression("SET #s = :s")
                .expressionAttributeNames(Map.of("#s", "state"))
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(SubstitutionState.RUNNING))));
    }

    public void done(String id, Map<String, String> failed, long fetched, long stopTime) {
        Map<String, AttributeValue> reasons = new TreeMap<>();
        failed.forEach((k, v) -> reasons.put(k, AttributeValue.fromS(v)));
        db.updateItem(u -> u.tableName(table).key(key(JOB + id)).updateExpression("SET #s = :s, failed = :f, fetched = :p, stopTime = :t")
                .expressionAttributeNames(Map.of("#s", "state"))
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(SubstitutionState.DONE),
                        ":f", AttributeValue.fromM(reasons), ":p", Attributes.num(fetched), ":t", Attributes.num(stopTime))));
    }

    /**
     * Claims for {@code job} until {@code until} (epoch seconds) each of {@code paths} that no other
     * job's claim holds at {@code now}: up to a hundred in one transaction (a walk finds paths faster
     * than one request each could claim them); a transaction that some path's holder cancels is tried
     * again without that path.
     *
     * @return the paths the job holds now
     */
    public Set<StorePath> claimAll(Collection<StorePath> paths, String job, long now, long until) {
        List<StorePath> pending = new ArrayList<>(new LinkedHashSet<>(paths));
        Set<StorePath> claimed = new HashSet<>();
        for (int round = 1; !pending.isEmpty(); ) {
            List<StorePath> chunk = List.copyOf(pending.subList(0, Math.min(MAX_CLAIMS, pending.size())));
            if (chunk.size() == 1) {
                Put put = claimPut(chunk.getFirst(), job, now, until);
                try {
                    db.putItem(p -> p.tableName(table).item(put.item()).conditionExpression(put.conditionExpression())
                            .expressionAttributeNames(put.expressionAttributeNames())
                            .expressionAttributeValues(put.expressionAttributeValues()));
                    claimed.add(chunk.getFirst());
                } catch (ConditionalCheckFailedException e) {
                    // another job's claim holds
                }
                pending.removeFirst();
                continue;
            }
            try {
                db.transactWriteItems(t -> t.transactItems(chunk.stream()
                        .map(p -> TransactWriteItem.builder().put(claimPut(p, job, now, until)).build()).toList()));
                claimed.addAll(chunk);
                pending.removeAll(chunk);
            } catch (TransactionCanceledException cancelled) {
                List<CancellationReason> reasons = cancelled.hasCancellationReasons() ? cancelled.cancellationReasons() : List.of();
                boolean held = false;
                for (int i = 0; i < reasons.size() && i < chunk.size(); i++) {
                    if ("ConditionalCheckFailed".equals(reasons.get(i).code())) {
                        pending.remove(chunk.get(i));
                        held = true;
                    }
                }
                if (!held) {
                    BatchBackoff.sleep(round++, "claiming " + chunk.size() + " paths"); // a conflict or throttling
                }
            }
        }
        return claimed;
    }

    /** The claim's put: on the condition that no other job's claim holds at {@code now}. */
    private Put claimPut(StorePath path, String job, long now, long until) {
        return Put.builder().tableName(table).item(Map.of("id", AttributeValue.fromS(PATH + path.hashPart()),
                        "owner", AttributeValue.fromS(job), "until", Attributes.num(until), "expiresAt", Attributes.num(until)))
                .conditionExpression("attribute_not_exists(id) OR #u < :now OR #o = :job")
                .expressionAttributeNames(Map.of("#u", "until", "#o", "owner"))
                .expressionAttributeValues(Map.of(":now", Attributes.num(now), ":job", AttributeValue.fromS(job))).build();
    }

    /** Whether some job's claim on {@code path} holds at {@code now}. */
    public boolean claimed(StorePath path, long now) {
        var item = db.getItem(g -> g.tableName(table).key(key(PATH + path.hashPart())).consistentRead(true)).item();
        return item != null && !item.isEmpty() && Attributes.number(item, "until") >= now;
    }

    /** Gives up {@code job}'s claim on {@code path}, if it still holds one. */
    public void release(StorePath path, String job) {
        try {
            db.deleteItem(d -> d.tableName(table).key(key(PATH + path.hashPart())).conditionExpression("#o = :job")
                    .expressionAttributeNames(Map.of("#o", "owner"))
                    .expressionAttributeValues(Map.of(":job", AttributeValue.fromS(job))));
        } catch (ConditionalCheckFailedException e) {
            // another job holds it now
        }
    }

    private static Map<String, AttributeValue> key(String id) {
        return Map.of("id", AttributeValue.fromS(id));
    }
}
