package dev.cumulus.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cumulus.model.event.EventJson;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedMetricFormatTest {
    @Test
    void aReportIsOneLineThatDeclaresItsMetricDimensionsAndUnit() throws Exception {
        List<String> lines = new ArrayList<>();
        EmbeddedMetricFormat emf = new EmbeddedMetricFormat(lines::add,
                Clock.fixed(Instant.ofEpochMilli(1_700_000_000_123L), ZoneOffset.UTC));
        emf.count(StoreMetrics.BUILDS_FINISHED, 1, "failed", "default");
        emf.observe(StoreMetrics.GC_SECONDS, 2.5);
        assertEquals(2, lines.size());
        JsonNode build = EventJson.MAPPER.readTree(lines.get(0));
        assertEquals(1_700_000_000_123L, build.at("/_aws/Timestamp").asLong());
        JsonNode directive = build.at("/_aws/CloudWatchMetrics/0");
        assertEquals("Cumulus", directive.get("Namespace").asText());
        assertEquals("[[\"state\",\"pool\"]]", directive.get("Dimensions").toString());
        assertEquals("builds", directive.at("/Metrics/0/Name").asText());
        assertEquals("Count", directive.at("/Metrics/0/Unit").asText());
        assertEquals("failed", build.get("state").asText());
        assertEquals("default", build.get("pool").asText());
        assertEquals(1.0, build.get("builds").asDouble());
        JsonNode gc = EventJson.MAPPER.readTree(lines.get(1));
        assertEquals("gc_duration_seconds", gc.at("/_aws/CloudWatchMetrics/0/Metrics/0/Name").asText());
        assertEquals("Seconds", gc.at("/_aws/CloudWatchMetrics/0/Metrics/0/Unit").asText());
        assertEquals("[[]]", gc.at("/_aws/CloudWatchMetrics/0/Dimensions").toString());
        assertEquals(2.5, gc.get("gc_duration_seconds").asDouble());
    }
}
