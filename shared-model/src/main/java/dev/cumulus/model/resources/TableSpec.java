package dev.cumulus.model.resources;

import java.util.List;
import java.util.Optional;

/**
 * A DynamoDB table as Cumulus needs it: keys, global secondary indexes (all attributes projected)
 * and an optional TTL attribute. The local stack creates it with the SDK and infra with the CDK, both
 * from this one description; billing, recovery and encryption are deployment choices left to infra.
 */
public record TableSpec(String name, Key partitionKey, Optional<Key> sortKey, List<Index> indexes,
                        Optional<String> ttlAttribute) {

    public TableSpec {
        indexes = List.copyOf(indexes);
    }

    /** A key attribute: its name and DynamoDB scalar type. */
    public record Key(String name, KeyType type) {}

    public enum KeyType { STRING, NUMBER, BINARY }

    /** A global secondary index projecting all attributes. */
    public record Index(String name, Key partitionKey, Optional<Key> sortKey) {}

    /** The physical name for an installation whose resources share {@code prefix}. */
    public String physicalName(String prefix) {
        return prefix + name;
    }

    static Key string(String name) {
        return new Key(name, KeyType.STRING);
    }

    static Key number(String name) {
        return new Key(name, KeyType.NUMBER);
    }
}
