package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cumulus.functions.Substitution.Fetches;
import dev.cumulus.functions.Substitution.Found;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order a job fetches its claimed paths in. A chain's links are found top first (a path's
 * references are known only from its narinfo), and none registers before the far end does, so the
 * fetches must go the other way, however the claims bring the paths in.
 */
class SubstitutionFetchesTest {
    private static Found link(int order) {
        return new Found(new StorePath("%032d".formatted(order).replace('0', 'a'), "link-" + order), null, order);
    }

    private static List<Long> drain(Fetches fetches, int n) throws InterruptedException {
        List<Long> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            taken.add(fetches.next().order());
        }
        return taken;
    }

    @Test
    void thePathFoundLastIsFetchedFirstAcrossClaims() throws InterruptedException {
        Fetches fetches = new Fetches();
        // Claims take the newest found first, a batch at a time: links 9 to 7, then 6 and 5.
        for (int order : new int[] {9, 8, 7, 6, 5}) {
            fetches.add(link(order));
        }
        assertEquals(List.of(9L, 8L), drain(fetches, 2));
        // A later claim brings links found earlier (nearer the top): they wait for the far end's.
        fetches.add(link(2));
        fetches.add(link(1));
        assertEquals(List.of(7L, 6L, 5L, 2L, 1L), drain(fetches, 5));
        fetches.close();
        assertNull(fetches.next());
    }
}
