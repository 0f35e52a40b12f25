package dev.cumulus.functions.tables;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Reading typed values out of DynamoDB items. */
final class Attributes {
    private Attributes() {}

    static String string(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        if (v == null || v.s() == null) {
            throw new IllegalStateException("item " + item.keySet() + " lacks string attribute '" + name + "'");
        }
        return v.s();
    }

    static Optional<String> optionalString(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || v.s() == null ? Optional.empty() : Optional.of(v.s());
    }

    static long number(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || v.n() == null ? 0 : Long.parseLong(v.n());
    }

    static List<String> strings(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null || !v.hasL() ? List.of() : v.l().stream().map(AttributeValue::s).toList();
    }

    static AttributeValue list(List<String> values) {
        return AttributeValue.fromL(values.stream().map(AttributeValue::fromS).toList());
    }

    static AttributeValue num(long n) {
        return AttributeValue.fromN(Long.toString(n));
    }

    /**
     * The size DynamoDB counts for an item (its documented rules: names and strings by their
     * UTF-8 bytes, a number by its digits, a list or map 3 bytes and 1 a member), to refuse what it
     * would refuse with a message that names the cause (see {@link PathInfoTable#ITEM_LIMIT}).
     */
    static int size(Map<String, AttributeValue> item) {
        int size = 0;
        for (var e : item.entrySet()) {
            size += utf8(e.getKey()) + size(e.getValue());
        }
        return size;
    }

    private static int size(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return ((int) v.n().chars().filter(Character::isDigit).count() + 1) / 2 + 1;
        }
        if (v.hasL()) {
            return 3 + v.l().stream().mapToInt(m -> size(m) + 1).sum();
        }
        if (v.hasM()) {
            return 3 + size(v.m()) + v.m().size();
        }
        if (v.b() != null) {
            return v.b().asByteArray().length;
        }
        return 1; // a boolean or a null
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
