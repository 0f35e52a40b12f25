package dev.cumulus.model.narinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cumulus.model.store.StoreDir;
import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing of narinfo parsing (Jazzer), what the binary-cache ingest runs on every
 * narinfo anyone uploads: any text either parses or is refused with an IllegalArgumentException,
 * and what parses renders to a narinfo that parses to the same. Anything else is a crash. As for
 * WorkerCodecFuzzTest: the normal test run replays the corpus, the fuzz profile explores.
 */
class NarInfoFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void uploadedTextParsesOrIsRefused(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        NarInfo parsed;
        try {
            parsed = NarInfo.parse(StoreDir.DEFAULT, text);
        } catch (IllegalArgumentException refused) {
            return; // the only acceptable failure
        }
        assertEquals(parsed, NarInfo.parse(StoreDir.DEFAULT, parsed.render(StoreDir.DEFAULT)));
    }
}
