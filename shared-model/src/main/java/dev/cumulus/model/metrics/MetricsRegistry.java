package dev.cumulus.model.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Metrics kept in memory since the process started, rendered in Prometheus' text format: what
 * {@code cumulus local} serves at {@code /metrics}. Every metric of {@link StoreMetrics} is
 * rendered, with its {@code # HELP} and {@code # TYPE} lines, even before anything was reported.
 */
public final class MetricsRegistry implements Metrics {
    private final List<Metric> metrics;
    private final Map<Metric, Map<List<String>, Series>> series = new ConcurrentHashMap<>();

    public MetricsRegistry() {
        this(StoreMetrics.ALL);
    }

    MetricsRegistry(List<Metric> metrics) {
        this.metrics = List.copyOf(metrics);
    }

    /** One label set's values: a counter's sum, or a histogram's buckets, sum and count. */
    private static final class Series {
        final LongAdder[] buckets;
        final DoubleAdder sum = new DoubleAdder();
        final LongAdder count = new LongAdder();

        Series(int buckets) {
            this.buckets = new LongAdder[buckets];
            Arrays.setAll(this.buckets, i -> new LongAdder());
        }
    }

    @Override
    public void count(Metric metric, double amount, String... labelValues) {
        Metrics.check(metric, Metric.Kind.COUNTER, amount, labelValues);
        series(metric, labelValues).sum.add(amount);
    }

    @Override
    public void observe(Metric metric, double value, String... labelValues) {
        Metrics.check(metric, Metric.Kind.HISTOGRAM, value, labelValues);
        Series s = series(metric, labelValues);
        List<Double> bounds = metric.buckets();
        for (int i = 0; i < bounds.size(); i++) {
            if (value <= bounds.get(i)) {
                s.buckets[i].increment();
                break;
            }
        }
        s.sum.add(value);
        s.count.increment();
    }

    private Series series(Metric metric, String[] labelValues) {
        if (!metrics.contains(metric)) {
            throw new IllegalArgumentException(metric.name() + " is not one of this registry's metrics");
        }
        return series.computeIfAbsent(metric, m -> new ConcurrentHashMap<>())
                .computeIfAbsent(List.of(labelValues), l -> new Series(metric.buckets().size()));
    }

    /** The counter's value for these label values (0 if never reported). */
    public double value(Metric metric, String... labelValues) {
        Series s = series.getOrDefault(metric, Map.of()).get(List.of(labelValues));
        return s == null ? 0 : metric.kind() == Metric.Kind.COUNTER ? s.sum.sum() : s.count.sum();
    }

    /** Every metric in Prometheus' text exposition format (version 0.0.4). */
    public String prometheusText() {
        StringBuilder out = new StringBuilder();
        for (Metric metric : metrics) {
            out.append("# HELP ").append(metric.name()).append(' ').append(escapeHelp(metric.help())).append('\n');
            out.append("# TYPE ").append(metric.name()).append(' ')
                    .append(metric.kind() == Metric.Kind.COUNTER ? "counter" : "histogram").append('\n');
            List<Map.Entry<List<String>, Series>> entries = new ArrayList<>(series.getOrDefault(metric, Map.of()).entrySet());
            entries.sort(Map.Entry.comparingByKey((a, b) -> String.join("\u0000", a).compareTo(String.join("\u0000", b))));
            for (var e : entries) {
                render(out, metric, e.getKey(), e.getValue());
            }
        }
        return out.toString();
    }

    private static void render(StringBuilder out, Metric metric, List<String> labelValues, Series s) {
        if (metric.kind() == Metric.Kind.COUNTER) {
            sample(out, metric.name(), metric.labels(), labelValues, null, s.sum.sum());
            return;
        }
        long cumulative = 0;
        for (int i = 0; i < metric.buckets().size(); i++) {
            cumulative += s.buckets[i].sum();
            sample(out, metric.name() + "_bucket", metric.labels(), labelValues, number(metric.buckets().get(i)), cumulative);
        }
        long count = s.count.sum();
        sample(out, metric.name() + "_bucket", metric.labels(), labelValues, "+Inf", count);
        sample(out, metric.name() + "_sum", metric.labels(), labelValues, null, s.sum.sum());
        sample(out, metric.name() + "_count", metric.labels(), labelValues, null, count);
    }

    private static void sample(StringBuilder out, String name, List<String> labels, List<String> values, String le,
                               double value) {
        out.append(name);
        if (!labels.isEmpty() || le != null) {
            out.append('{');
            for (int i = 0; i < labels.size(); i++) {
                out.append(i == 0 ? "" : ",").append(labels.get(i)).append("=\"").append(escapeLabel(values.get(i))).append('"');
            }
            if (le != null) {
                out.append(labels.isEmpty() ? "" : ",").append("le=\"").append(le).append('"');
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    private static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String escapeLabel(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
