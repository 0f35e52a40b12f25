package dev.cumulus.model.metrics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.function.Consumer;

/**
 * Metrics as CloudWatch's embedded metric format: one JSON log line per report, which CloudWatch
 * Logs turns into a metric in namespace {@value #NAMESPACE} with the report's labels as dimensions
 * (a histogram's observation is a value of the metric, whose statistics CloudWatch computes). What
 * Lambda functions and runners write to standard output reaches CloudWatch Logs as is.
 */
public final class EmbeddedMetricFormat implements Metrics {
    public static final String NAMESPACE = "Cumulus";

    private final Consumer<String> lines;
    private final Clock clock;

    public EmbeddedMetricFormat(Consumer<String> lines, Clock clock) {
        this.lines = lines;
        this.clock = clock;
    }

    /** Writes to {@code out}, one line per report. */
    public static EmbeddedMetricFormat to(PrintStream out) {
        return new EmbeddedMetricFormat(line -> {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        }, Clock.systemUTC());
    }

    @Override
    public void count(Metric metric, double amount, String... labelValues) {
        Metrics.check(metric, Metric.Kind.COUNTER, amount, labelValues);
        lines.accept(line(metric, amount, labelValues));
    }

    @Override
    public void observe(Metric metric, double value, String... labelValues) {
        Metrics.check(metric, Metric.Kind.HISTOGRAM, value, labelValues);
        lines.accept(line(metric, value, labelValues));
    }

    /** The metric's name in CloudWatch: the Prometheus name without its prefix and counter suffix. */
    public static String cloudWatchName(Metric metric) {
        String name = metric.name().substring("cumulus_".length());
        return metric.kind() == Metric.Kind.COUNTER && name.endsWith("_total") ? name.substring(0, name.length() - 6) : name;
    }

    private String line(Metric metric, double value, String[] labelValues) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode root = json.objectNode();
        ObjectNode aws = root.putObject("_aws");
        aws.put("Timestamp", clock.millis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode dimensionSets = directive.putArray("Dimensions");
        ArrayNode dimensions = dimensionSets.addArray();
        List<String> labels = metric.labels();
        for (int i = 0; i < labels.size(); i++) {
            dimensions.add(labels.get(i));
            root.put(labels.get(i), labelValues[i]);
        }
        ObjectNode definition = directive.putArray("Metrics").addObject();
        String name = cloudWatchName(metric);
        definition.put("Name", name);
        definition.put("Unit", metric.unit().cloudWatch);
        root.put(name, value);
        return root.toString();
    }
}
