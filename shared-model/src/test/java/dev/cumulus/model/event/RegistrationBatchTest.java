package dev.cumulus.model.event;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistrationBatchTest {
    private static StorePath path(int i) {
        return StorePath.parseBaseName(String.format("%032d", i).replace('0', 'a').replace('1', 'b').replace('2', 'c')
                .replace('3', 'd').replace('4', 'f').replace('5', 'g').replace('6', 'h').replace('7', 'i')
                .replace('8', 'j').replace('9', 'k') + "-p" + i);
    }

    @Test
    void aChainFillsTheTransactionWithItsPathsAndTheirOutsideReferences() {
        RegistrationBatch batch = new RegistrationBatch();
        StorePath outsideA = path(900_001);
        StorePath outsideB = path(900_002);
        int added = 0;
        for (int i = 0; ; i++) {
            List<StorePath> refs = i == 0 ? List.of(outsideA, outsideB) : List.of(path(i - 1), outsideA, path(i));
            if (!batch.fits(path(i), refs)) {
                break;
            }
            batch.add(path(i), refs);
            added++;
        }
        // 98 paths and the two they refer to outside: 100 items; a self-reference costs nothing.
        assertTrue(added == RegisterPaths.MAX_PATHS - 2, "added " + added);
        batch.clear();
        assertTrue(batch.isEmpty());
    }

    @Test
    void aPathThatWasAnOutsideReferenceStopsBeingOneAndTheFirstPathAlwaysFits() {
        RegistrationBatch batch = new RegistrationBatch();
        List<StorePath> many = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            many.add(path(i));
        }
        StorePath wide = path(1000);
        assertTrue(batch.fits(wide, many), "the first path, however wide");
        batch.add(wide, many);
        assertFalse(batch.fits(path(2000), List.of()));

        RegistrationBatch small = new RegistrationBatch();
        small.add(path(1), List.of(path(2)));
        for (int i = 3; i < 101; i++) {
            small.add(path(i), List.of());
        }
        // 99 paths and one outside reference: path 2 joining turns that reference into a path.
        assertTrue(small.fits(path(2), List.of()));
        assertFalse(small.fits(path(5000), List.of()));
    }
}
