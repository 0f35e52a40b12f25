package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.functions.CollectionFiles.ScannedPath;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order a collection deletes in: every path before the paths it refers to. */
class ReferrersFirstTest {
    @Test
    void aChainOfTwoHundredThousandDeadPathsIsOrderedReferrersFirst() {
        int links = 200_000;
        List<StorePath> chain = new ArrayList<>();
        Map<StorePath, ScannedPath> scanned = new HashMap<>();
        for (int i = 0; i < links; i++) {
            StorePath link = TestStore.randomPath("link-" + i);
            // Each link refers to the one before and to itself, as a path may.
            List<String> references = i == 0 ? List.of(link.baseName())
                    : List.of(chain.getLast().baseName(), link.baseName());
            chain.add(link);
            scanned.put(link, new ScannedPath(link.baseName(), references, null, 1, 1, null, null));
        }
        List<StorePath> ordered = GarbageCollector.referrersFirst(chain, scanned);
        assertEquals(links, ordered.size());
        assertEquals(chain.reversed(), ordered, "the chain's top first, its first link last");
    }

    @Test
    void sharedReferencesComeAfterEveryReferrer() {
        StorePath lib = TestStore.randomPath("lib");
        StorePath a = TestStore.randomPath("a");
        StorePath b = TestStore.randomPath("b");
        StorePath top = TestStore.randomPath("top");
        Map<StorePath, ScannedPath> scanned = new HashMap<>();
        scanned.put(lib, new ScannedPath(lib.baseName(), List.of(), null, 1, 1, null, null));
        scanned.put(a, new ScannedPath(a.baseName(), List.of(lib.baseName()), null, 1, 1, null, null));
        scanned.put(b, new ScannedPath(b.baseName(), List.of(lib.baseName()), null, 1, 1, null, null));
        scanned.put(top, new ScannedPath(top.baseName(), List.of(a.baseName(), b.baseName()), null, 1, 1, null, null));
        List<StorePath> ordered = GarbageCollector.referrersFirst(List.of(lib, a, b, top), scanned);
        assertEquals(4, ordered.size());
        assertTrue(ordered.indexOf(top) < ordered.indexOf(a) && ordered.indexOf(top) < ordered.indexOf(b));
        assertTrue(ordered.indexOf(a) < ordered.indexOf(lib) && ordered.indexOf(b) < ordered.indexOf(lib));
    }
}
