package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.cumulus.functions.CollectionFiles.ScannedPath;
import dev.cumulus.functions.CollectionFiles.ScannedSegment;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.store.StorePath;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the plan holds the scan: every name once, whichever segment names it first. */
class PlanScanTest {
    private static final String LIB = "0a3ylwaaxqg6b9yfnjnyf9yrw7l2r6fd-lib";
    private static final String APP = "1b3ylwaaxqg6b9yfnjnyf9yrw7l2r6fd-app";
    private static final String DRV = "2c3ylwaaxqg6b9yfnjnyf9yrw7l2r6fd-lib.drv";

    @Test
    void aNameReadInSeveralPlacesIsHeldAsOneString() {
        // Read from JSON as the plan reads segments: every occurrence a string of its own.
        ScannedSegment first = EventJson.read(EventJson.write(new ScannedSegment(List.of(
                new ScannedPath(APP, List.of(LIB, APP), DRV, 10, 1, null, "nar/a.nar.zst")))), ScannedSegment.class);
        ScannedSegment second = EventJson.read(EventJson.write(new ScannedSegment(List.of(
                new ScannedPath(LIB, List.of(), DRV, 20, 2, "gc-1", "nar/l.nar.zst"),
                new ScannedPath(DRV, List.of(LIB), null, 30, 3, null, "nar/d.nar.zst")))), ScannedSegment.class);
        Map<String, String> names = new HashMap<>();
        Map<StorePath, ScannedPath> scanned = new LinkedHashMap<>();
        GarbageCollector.index(first, names, scanned);
        GarbageCollector.index(second, names, scanned);

        ScannedPath app = scanned.get(StorePath.parseBaseName(APP));
        ScannedPath lib = scanned.get(StorePath.parseBaseName(LIB));
        ScannedPath drv = scanned.get(StorePath.parseBaseName(DRV));
        assertEquals(new ScannedPath(APP, List.of(LIB, APP), DRV, 10, 1, null, "nar/a.nar.zst"), app, "nothing but identity changes");
        assertEquals(new ScannedPath(LIB, List.of(), DRV, 20, 2, "gc-1", "nar/l.nar.zst"), lib);
        assertSame(lib.path(), app.references().get(0), "a reference read before its path is scanned");
        assertSame(app.path(), app.references().get(1), "a path that refers to itself");
        assertSame(lib.path(), drv.references().getFirst());
        assertSame(drv.path(), app.deriver(), "a deriver");
        assertSame(drv.path(), lib.deriver());
        assertEquals(List.of(APP, LIB, DRV), scanned.values().stream().map(ScannedPath::path).toList(), "in the order scanned");
    }
}
