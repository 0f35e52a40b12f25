package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.metrics.MetricsRegistry;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.backend.Backends;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker operation that fails is counted under its name in the transport's metrics; one that succeeds is not. */
class FailedOperationsMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void eachFailedOperationIsCountedByName() throws Exception {
        MetricsRegistry metrics = new MetricsRegistry();
        try (UnixSocketServer server = new UnixSocketServer(new ProxyConfig(StoreDir.DEFAULT, Backends.unavailable(),
                WireLimits.DEFAULT, metrics), tmp.resolve("daemon.sock"), true);
             TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            c.setOptions();
            assertEquals(Optional.empty(), c.readStderr(), "SetOptions needs no backend");
            for (int i = 0; i < 2; i++) {
                c.out.writeNum(1).writeString("/nix/store/00000000000000000000000000000000-x"); // IsValidPath
                assertTrue(c.readStderr().isPresent());
            }
        }
        assertEquals(2, metrics.value(StoreMetrics.ERRORS, "IsValidPath"));
        assertEquals(0, metrics.value(StoreMetrics.ERRORS, "SetOptions"));
        assertTrue(metrics.prometheusText().contains("cumulus_errors_total{operation=\"IsValidPath\"} 2\n"));
    }
}
