package dev.cumulus.infra;

import dev.cumulus.model.metrics.EmbeddedMetricFormat;
import dev.cumulus.model.metrics.Metric;
import dev.cumulus.model.metrics.StoreMetrics;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.constructs.Construct;

/**
 * The CloudWatch dashboard of an installation: the metrics the functions write in the embedded
 * metric format ({@link StoreMetrics}, namespace {@value EmbeddedMetricFormat#NAMESPACE}), each
 * graph a search over its dimensions so that every pool, state and operation shows up as it appears.
 */
final class MetricsDashboard extends Construct {
    private static final Duration PERIOD = Duration.minutes(5);

    MetricsDashboard(Construct scope, String id, InfraConfig config) {
        super(scope, id);
        List<List<IWidget>> rows = List.of(
                List.of(graph("Builds ended, by state and pool", search(StoreMetrics.BUILDS_FINISHED, "Sum")),
                        graph("Builds queued, by pool", search(StoreMetrics.BUILDS_SUBMITTED, "Sum")),
                        graph("Build duration and queue wait (p90, seconds)", search(StoreMetrics.BUILD_SECONDS, "p90"),
                                search(StoreMetrics.BUILD_QUEUE_SECONDS, "p90"))),
                List.of(graph("Uploaded paths and NAR bytes", search(StoreMetrics.UPLOADED_PATHS, "Sum"),
                                search(StoreMetrics.UPLOADED_BYTES, "Sum")),
                        graph("Upload latency of a path (p50, p90, seconds)", search(StoreMetrics.UPLOAD_SECONDS, "p50"),
                                search(StoreMetrics.UPLOAD_SECONDS, "p90")),
                        graph("Substituted paths, by outcome, and bytes", search(StoreMetrics.SUBSTITUTED_PATHS, "Sum"),
                                search(StoreMetrics.SUBSTITUTED_BYTES, "Sum"))),
                List.of(graph("Garbage collections, by outcome, and their duration (max, seconds)",
                                search(StoreMetrics.GC_RUNS, "Sum"), search(StoreMetrics.GC_SECONDS, "Maximum")),
                        graph("Freed by garbage collection (paths, bytes)", search(StoreMetrics.GC_FREED_PATHS, "Sum"),
                                search(StoreMetrics.GC_FREED_BYTES, "Sum")),
                        graph("Errors, by operation, and the functions' errors", search(StoreMetrics.ERRORS, "Sum"),
                                lambdaErrors(config.prefix()))));
        Dashboard.Builder.create(this, "Dashboard").dashboardName(config.prefix() + "overview")
                .widgets(rows).build();
    }

    /** Every series of {@code metric} (one per combination of its labels' values), as {@code statistic}. */
    private static IMetric search(Metric metric, String statistic) {
        StringBuilder schema = new StringBuilder("{" + EmbeddedMetricFormat.NAMESPACE);
        metric.labels().forEach(l -> schema.append(',').append(l));
        schema.append('}');
        String name = EmbeddedMetricFormat.cloudWatchName(metric);
        return search(schema + " MetricName=\"" + name + "\"", statistic, name);
    }

    /**
     * Lambda's own count of each of the installation's functions' failed invocations: the functions
     * whose names hold the prefix's words (a search term matches whole words of a dimension's value).
     */
    private static IMetric lambdaErrors(String prefix) {
        String words = prefix.endsWith("-") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return search("{AWS/Lambda,FunctionName} MetricName=\"Errors\" FunctionName=" + words, "Sum", "function errors");
    }

    /** The series CloudWatch's search {@code terms} finds, each as {@code statistic} over the dashboard's period. */
    private static IMetric search(String terms, String statistic, String label) {
        return MathExpression.Builder.create()
                .expression("SEARCH('" + terms + "', '" + statistic + "', " + PERIOD.toSeconds() + ")")
                .usingMetrics(Map.of()).label(label).period(PERIOD).build();
    }

    private static GraphWidget graph(String title, IMetric... metrics) {
        return GraphWidget.Builder.create().title(title).left(List.of(metrics)).width(8).height(6).build();
    }
}
