package dev.cumulus.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.metrics.Metric.Unit;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsRegistryTest {
    private static final Metric BUILDS = Metric.counter("cumulus_things_total", "Things.\nTwo lines.", Unit.COUNT, "state");
    private static final Metric WAIT = Metric.histogram("cumulus_wait_seconds", "Waits.", Unit.SECONDS, List.of(0.5, 2.0));

    @Test
    void rendersCountersAndCumulativeHistogramBucketsAsPrometheusText() {
        MetricsRegistry registry = new MetricsRegistry(List.of(BUILDS, WAIT));
        registry.count(BUILDS, 1, "built");
        registry.count(BUILDS, 2, "built");
        registry.count(BUILDS, 1, "fa\"il\\ed");
        registry.observe(WAIT, 0.5);
        registry.observe(WAIT, 1.5);
        registry.observe(WAIT, 7);
        assertEquals("""
                # HELP cumulus_things_total Things.\\nTwo lines.
                # TYPE cumulus_things_total counter
                cumulus_things_total{state="built"} 3
                cumulus_things_total{state="fa\\"il\\\\ed"} 1
                # HELP cumulus_wait_seconds Waits.
                # TYPE cumulus_wait_seconds histogram
                cumulus_wait_seconds_bucket{le="0.5"} 1
                cumulus_wait_seconds_bucket{le="2"} 2
                cumulus_wait_seconds_bucket{le="+Inf"} 3
                cumulus_wait_seconds_sum 9
                cumulus_wait_seconds_count 3
                """, registry.prometheusText());
        assertEquals(3, registry.value(BUILDS, "built"));
    }

    @Test
    void everyStoreMetricIsRenderedBeforeAnythingIsReported() {
        String text = new MetricsRegistry().prometheusText();
        for (Metric m : StoreMetrics.ALL) {
            assertTrue(text.contains("# TYPE " + m.name() + " "), m.name());
        }
    }

    @Test
    void refusesReportsThatDoNotFitTheirMetric() {
        MetricsRegistry registry = new MetricsRegistry(List.of(BUILDS, WAIT));
        assertThrows(IllegalArgumentException.class, () -> registry.count(BUILDS, 1));
        assertThrows(IllegalArgumentException.class, () -> registry.count(BUILDS, -1, "built"));
        assertThrows(IllegalArgumentException.class, () -> registry.count(BUILDS, 1, (String) null));
        assertThrows(IllegalArgumentException.class, () -> registry.count(WAIT, 1));
        assertThrows(IllegalArgumentException.class, () -> registry.observe(StoreMetrics.GC_SECONDS, 1));
    }
}
