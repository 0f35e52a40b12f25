package dev.cumulus.model.metrics;

import java.util.List;
import java.util.Objects;

/**
 * One metric Cumulus reports: its name (Prometheus style, {@code cumulus_…}), what it counts, its
 * kind, its unit and the names of its labels. {@link StoreMetrics} lists them all; a sink writes a
 * value of one with the label values in the same order as {@link #labels}.
 *
 * @param buckets a histogram's upper bounds, ascending (empty for a counter)
 */
public record Metric(String name, String help, Kind kind, Unit unit, List<String> labels, List<Double> buckets) {
    public enum Kind { COUNTER, HISTOGRAM }

    /** The unit as CloudWatch names it. */
    public enum Unit {
        COUNT("Count"), BYTES("Bytes"), SECONDS("Seconds");

        public final String cloudWatch;

        Unit(String cloudWatch) {
            this.cloudWatch = cloudWatch;
        }
    }

    public Metric {
        Objects.requireNonNull(name);
        if (!name.matches("cumulus_[a-z_]+")) {
            throw new IllegalArgumentException("metric names are cumulus_ and lower-case words: " + name);
        }
        labels = List.copyOf(labels);
        buckets = List.copyOf(buckets);
        if (kind == Kind.HISTOGRAM && buckets.isEmpty()) {
            throw new IllegalArgumentException("histogram " + name + " needs buckets");
        }
    }

    public static Metric counter(String name, String help, Unit unit, String... labels) {
        return new Metric(name, help, Kind.COUNTER, unit, List.of(labels), List.of());
    }

    public static Metric histogram(String name, String help, Unit unit, List<Double> buckets, String... labels) {
        return new Metric(name, help, Kind.HISTOGRAM, unit, List.of(labels), buckets);
    }
}
