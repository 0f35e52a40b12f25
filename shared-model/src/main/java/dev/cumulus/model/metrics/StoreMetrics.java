package dev.cumulus.model.metrics;

import static dev.cumulus.model.metrics.Metric.counter;
import static dev.cumulus.model.metrics.Metric.histogram;

import dev.cumulus.model.metrics.Metric.Unit;
import java.util.List;

/** Every metric Cumulus reports, in one place: the dashboard, {@code /metrics} and CloudWatch all name these. */
public final class StoreMetrics {
    private StoreMetrics() {}

    /** Upper bounds of the seconds histograms: from an operation's milliseconds to a build's hour. */
    static final List<Double> SECONDS = List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            300.0, 900.0, 3600.0, 14400.0);

    public static final Metric BUILDS_SUBMITTED = counter("cumulus_builds_submitted_total",
            "Builds queued for a pool's runners.", Unit.COUNT, "pool");
    public static final Metric BUILDS_FINISHED = counter("cumulus_builds_total",
            "Builds that ended, by state (built or failed) and pool.", Unit.COUNT, "state", "pool");
    public static final Metric BUILD_SECONDS = histogram("cumulus_build_duration_seconds",
            "How long a build ran, from a runner taking it to its end.", Unit.SECONDS, SECONDS, "pool");
    public static final Metric BUILD_QUEUE_SECONDS = histogram("cumulus_build_queue_wait_seconds",
            "How long a build waited in its pool's queue before a runner took it.", Unit.SECONDS, SECONDS, "pool");

    public static final Metric UPLOADED_PATHS = counter("cumulus_uploaded_paths_total",
            "Store paths that became valid by an upload (a copy, an import, a build's outputs).", Unit.COUNT);
    public static final Metric UPLOADED_BYTES = counter("cumulus_uploaded_bytes_total",
            "NAR bytes of the store paths that became valid by an upload.", Unit.BYTES);
    public static final Metric UPLOAD_SECONDS = histogram("cumulus_upload_path_seconds",
            "How long one path took from its NAR's first byte at the proxy to its registration.", Unit.SECONDS, SECONDS);

    public static final Metric SUBSTITUTED_PATHS = counter("cumulus_substituted_paths_total",
            "Store paths fetched from upstream caches, by outcome (substituted or failed).", Unit.COUNT, "outcome");
    public static final Metric SUBSTITUTED_BYTES = counter("cumulus_substituted_bytes_total",
            "NAR bytes of the store paths fetched from upstream caches.", Unit.BYTES);

    public static final Metric GC_RUNS = counter("cumulus_gc_runs_total",
            "Garbage collections that ended, by outcome (done or failed).", Unit.COUNT, "outcome");
    public static final Metric GC_FREED_PATHS = counter("cumulus_gc_freed_paths_total",
            "Store paths garbage collections deleted.", Unit.COUNT);
    public static final Metric GC_FREED_BYTES = counter("cumulus_gc_freed_bytes_total",
            "NAR bytes of the store paths garbage collections deleted.", Unit.BYTES);
    public static final Metric GC_SECONDS = histogram("cumulus_gc_duration_seconds",
            "How long a garbage collection ran.", Unit.SECONDS, SECONDS);

    public static final Metric ERRORS = counter("cumulus_errors_total",
            "Operations that failed, by operation: a client's worker or serve operation, or a store function.",
            Unit.COUNT, "operation");

    public static final List<Metric> ALL = List.of(BUILDS_SUBMITTED, BUILDS_FINISHED, BUILD_SECONDS, BUILD_QUEUE_SECONDS,
            UPLOADED_PATHS, UPLOADED_BYTES, UPLOAD_SECONDS, SUBSTITUTED_PATHS, SUBSTITUTED_BYTES, GC_RUNS, GC_FREED_PATHS,
            GC_FREED_BYTES, GC_SECONDS, ERRORS);
}
