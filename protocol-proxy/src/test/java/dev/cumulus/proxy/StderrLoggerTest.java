package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.model.wire.WireWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The logger messages in the layout Nix's client reads (worker-protocol-connection.cc's processStderr). */
class StderrLoggerTest {
    @Test
    void activitiesResultsAndLogLinesDuringWorkOnly() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StderrLogger logger = new StderrLogger(new WireWriter(bytes), ProtocolVersion.of(34));
        logger.log(Stderr.LVL_INFO, "dropped: no operation is running");
        logger.startWork();
        long act = logger.startActivity(Stderr.LVL_INFO, Stderr.ACT_COPY_PATH, "copying", List.of("/nix/store/x", 42L), 0);
        logger.result(act, Stderr.RES_PROGRESS, List.of(10L, 100L));
        logger.log(Stderr.LVL_ERROR, "a line");
        logger.stopActivity(act);
        logger.stopWork();

        WireReader r = new WireReader(new ByteArrayInputStream(bytes.toByteArray()));
        assertEquals(Stderr.START_ACTIVITY, r.readNum());
        assertEquals(act, r.readNum());
        assertEquals(Stderr.LVL_INFO, r.readNum());
        assertEquals(Stderr.ACT_COPY_PATH, r.readNum());
        assertEquals("copying", r.readString());
        assertEquals(2, r.readNum());
        assertEquals(1, r.readNum());
        assertEquals("/nix/store/x", r.readString());
        assertEquals(0, r.readNum());
        assertEquals(42, r.readNum());
        assertEquals(0, r.readNum()); // parent
        assertEquals(Stderr.RESULT, r.readNum());
        assertEquals(act, r.readNum());
        assertEquals(Stderr.RES_PROGRESS, r.readNum());
        assertEquals(2, r.readNum());
        assertEquals(List.of(0L, 10L, 0L, 100L), List.of(r.readNum(), r.readNum(), r.readNum(), r.readNum()));
        assertEquals(Stderr.NEXT, r.readNum());
        assertEquals("a line\n", r.readString());
        assertEquals(Stderr.STOP_ACTIVITY, r.readNum());
        assertEquals(act, r.readNum());
        assertEquals(Stderr.LAST, r.readNum());
        assertEquals(-1, r.stream().read());
    }

    @Test
    void errorsInEachVersionsForm() throws IOException {
        ByteArrayOutputStream modern = new ByteArrayOutputStream();
        new StderrLogger(new WireWriter(modern), ProtocolVersion.of(26)).stopWork("boom");
        WireReader r = new WireReader(new ByteArrayInputStream(modern.toByteArray()));
        assertEquals(Stderr.ERROR, r.readNum());
        assertEquals("Error", r.readString());
        assertEquals(Stderr.LVL_ERROR, r.readNum());
        assertEquals("Error", r.readString());
        assertEquals("boom", r.readString());
        assertEquals(0, r.readNum()); // no position
        assertEquals(0, r.readNum()); // no traces
        assertEquals(-1, r.stream().read());

        ByteArrayOutputStream old = new ByteArrayOutputStream();
        new StderrLogger(new WireWriter(old), ProtocolVersion.of(25)).stopWork("boom");
        r = new WireReader(new ByteArrayInputStream(old.toByteArray()));
        assertEquals(Stderr.ERROR, r.readNum());
        assertEquals("boom", r.readString());
        assertEquals(1, r.readNum()); // exit status
        assertEquals(-1, r.stream().read());
    }
}
