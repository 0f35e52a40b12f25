package dev.cumulus.model.metrics;

/**
 * Where the components report what they do: counters go up, histograms observe one value. Locally
 * a {@link MetricsRegistry} keeps them for the dashboard's {@code /metrics}; in AWS an
 * {@link EmbeddedMetricFormat} writes them to the log, where CloudWatch turns them into metrics.
 * Reporting never fails the work it reports on.
 */
public interface Metrics {
    /** Reports nothing: for tests and tools that have nobody to report to. */
    Metrics NONE = new Metrics() {
        @Override
        public void count(Metric metric, double amount, String... labelValues) {}

        @Override
        public void observe(Metric metric, double value, String... labelValues) {}
    };

    /** Adds {@code amount} (≥ 0) to the counter {@code metric} with these label values. */
    void count(Metric metric, double amount, String... labelValues);

    /** Observes {@code value} in the histogram {@code metric} with these label values. */
    void observe(Metric metric, double value, String... labelValues);

    /** Checks a report against its metric: the right kind and one value per label. */
    static void check(Metric metric, Metric.Kind kind, double amount, String[] labelValues) {
        if (metric.kind() != kind) {
            throw new IllegalArgumentException(metric.name() + " is a " + metric.kind() + ", not a " + kind);
        }
        if (labelValues.length != metric.labels().size()) {
            throw new IllegalArgumentException(metric.name() + " has labels " + metric.labels() + ", given "
                    + labelValues.length + " values");
        }
        for (String v : labelValues) {
            if (v == null || v.isEmpty()) {
                throw new IllegalArgumentException(metric.name() + " needs a value for each of " + metric.labels());
            }
        }
        if (kind == Metric.Kind.COUNTER && !(amount >= 0)) {
            throw new IllegalArgumentException("counter " + metric.name() + " cannot go down (" + amount + ")");
        }
    }
}
