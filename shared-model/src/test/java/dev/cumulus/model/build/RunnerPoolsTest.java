package dev.cumulus.model.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerPoolsTest {
    @Test
    void poolsParseWithTheirDefaultsAndRenderAsTheyParse() {
        RunnerPools pools = RunnerPools.parse("small systems=x86_64-linux features= runners=2\n"
                + " big systems=x86_64-linux,i686-linux features=big-parallel,benchmark cores=8 jobs=1 ;plain", 3);
        assertEquals(List.of("small", "big", "plain"), pools.names());
        RunnerPool small = pools.pools().get(0);
        assertEquals(List.of("x86_64-linux"), List.copyOf(small.platform().systems()));
        assertTrue(small.platform().features().isEmpty());
        assertEquals(3, small.cores());
        assertEquals(Map.of("runners", "2"), small.settings());
        RunnerPool big = pools.pools().get(1);
        assertEquals(List.of("x86_64-linux", "i686-linux"), List.copyOf(big.platform().systems()), "the pool's own system first");
        assertEquals(List.of("benchmark", "big-parallel"), List.copyOf(big.platform().features()));
        assertEquals(8, big.cores());
        assertEquals(RunnerPlatform.defaults(), pools.pools().get(2).platform(), "nothing given: Nix's defaults");
        assertEquals(pools, RunnerPools.parse(pools.render(), 1));
        assertEquals(RunnerPools.DEFAULT_NAME, RunnerPools.defaults(2).pools().getFirst().name());
    }

    @Test
    void whatIsNotAPoolIsRefusedNamingIt() {
        for (var bad : Map.of("", "at least one runner pool", "a; a", "two runner pools are named 'a'",
                "Big", "runner pool name 'Big'", "x cores=0", "at least one core", "x cores=two", "cores= must be a whole number",
                "x systems", "'systems' is not key=value", "x cores=1 cores=2", "sets cores twice",
                "systems=x86_64-linux", "must start with its name").entrySet()) {
            var e = assertThrows(IllegalArgumentException.class, () -> RunnerPools.parse(bad.getKey(), 1), bad.getKey());
            assertTrue(e.getMessage().contains(bad.getValue()), bad.getKey() + ": " + e.getMessage());
        }
        RunnerPool p = RunnerPools.parse("x runners=-1 jobs=many", 1).pools().getFirst();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> p.intSetting("runners", 0, 1)).getMessage()
                .contains("runner pool 'x': runners= must be a whole number of at least 0, not '-1'"));
        assertThrows(IllegalArgumentException.class, () -> p.intSetting("jobs", 1, 1));
        assertEquals(7, p.intSetting("absent", 1, 7));
    }
}
