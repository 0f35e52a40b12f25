package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.backend.Backends;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Bad bytes on one connection get an error and then a closed connection, never a hang, and the proxy
 * keeps serving everyone else; backend failures are errors on a connection that goes on.
 */
class ProxyRobustnessTest {
    @TempDir
    Path tmp;
    UnixSocketServer server;

    @BeforeEach
    void start() throws IOException {
        server = new UnixSocketServer(new ProxyConfig(StoreDir.DEFAULT, Backends.unavailable(), new WireLimits(1 << 20, 10_000)),
                tmp.resolve("daemon.sock"), true);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    void othersAreStillServed() throws IOException {
        aWorkerClientIsServed(server.socket());
    }

    /** A well-behaved client still gets served, and a backend error leaves its connection usable. */
    static void aWorkerClientIsServed(Path socket) throws IOException {
        try (TestClient c = new TestClient(socket)) {
            assertEquals("cumulus-0.1.0", c.handshake(34));
            c.setOptions();
            assertEquals(Optional.empty(), c.readStderr());
            for (int i = 0; i < 2; i++) {
                c.out.writeNum(1).writeString("/nix/store/00000000000000000000000000000000-x");
                Optional<String> err = c.readStderr();
                assertTrue(err.orElseThrow().contains("not available"), err.toString());
            }
        }
    }

    /**
     * As Nix's daemon answers input it cannot read: an error frame (STDERR_ERROR) the client can
     * show, naming {@code expected}, and then the connection closed. An IOException here (the
     * connection closed without a word, or a frame that is no error) fails the test.
     */
    void expectErrorThenClose(TestClient c, String expected) {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Optional<String> err = c.readStderr();
            assertTrue(err.isPresent(), "an error, not success");
            assertTrue(err.get().contains(expected), err.get());
            assertTrue(c.closedByDaemon(), "closed after the error");
        });
    }

    @Test
    void garbageInsteadOfAHandshake() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertTrue(c.closedByDaemon()));
        }
        othersAreStillServed();
    }

    @Test
    void wrongMagicNumber() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            // One write: the daemon closes after the first number, so a second write could meet a broken pipe.
            c.send(ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0x12345678).putLong(0x122).array());
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertTrue(c.closedByDaemon()));
        }
        othersAreStillServed();
    }

    @Test
    void tooOldClient() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            assertThrows(IOException.class, () -> c.handshake(17));
        }
        othersAreStillServed();
    }

    @Test
    void truncatedFrame() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            // AddToStoreNar for a path, then a frame that claims 1000 bytes and delivers 10.
            c.out.writeNum(39).writeString("/nix/store/00000000000000000000000000000000-x").writeString("")
                    .writeString("0000000000000000000000000000000000000000000000000000000000000000").writeNum(0)
                    .writeNum(0).writeNum(1000).writeNum(0).writeNum(0).writeString("").writeNum(0).writeNum(0)
                    .writeNum(1000);
            c.send(new byte[10]);
            c.channel.shutdownOutput();
            expectErrorThenClose(c, "the rest of the request could not be read: connection ended in the middle of a frame");
        }
        othersAreStillServed();
    }

    /**
     * AddToStore before 1.25 sends its NAR inline, which the proxy spools to a file to find its end:
     * the file goes whether the backend fails (the connection goes on) or the NAR stops short (it ends).
     */
    @Test
    void noSpoolFileOutlivesAFailedInlineUpload() throws Exception {
        Path spoolDir = Path.of(System.getProperty("java.io.tmpdir"));
        java.util.function.Supplier<java.util.Set<Path>> spools = () -> {
            try (var files = java.nio.file.Files.list(spoolDir)) {
                return files.filter(f -> f.getFileName().toString().startsWith("cumulus-add"))
                        .collect(java.util.stream.Collectors.toSet());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        java.util.Set<Path> before = spools.get();
        Path file = java.nio.file.Files.writeString(tmp.resolve("added"), "added inline\n");
        java.io.ByteArrayOutputStream nar = new java.io.ByteArrayOutputStream();
        dev.cumulus.model.nar.NarWriter.dump(file, nar);
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(24);
            c.out.writeNum(7).writeString("added").writeNum(1).writeNum(1).writeString("sha256");
            c.send(nar.toByteArray());
            // A whole NAR, spooled, then the missing backend's error: the connection goes on.
            assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertTrue(c.readStderr().orElseThrow().contains("is not available")));
            c.out.writeNum(7).writeString("broken").writeNum(1).writeNum(1).writeString("sha256");
            c.send(java.util.Arrays.copyOf(nar.toByteArray(), 40)); // a NAR that stops short
            c.channel.shutdownOutput();
            expectErrorThenClose(c, "");
        }
        assertEquals(before, spools.get(), "no spool file left behind");
    }

    @Test
    void lengthPrefixOfTwoToTheSixtyThird() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            c.out.writeNum(1).writeNum(1L << 63);
            expectErrorThenClose(c, "string length 9223372036854775808 exceeds the limit");
        }
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            c.out.writeNum(31).writeNum(1L << 63); // a set of 2^63 paths
            expectErrorThenClose(c, "a set of store paths has 9223372036854775808 elements, more than the limit");
        }
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            c.out.writeNum(44).writeNum(0).writeNum(0).writeNum(1L << 63); // a frame of 2^63 bytes
            expectErrorThenClose(c, "frame length 9223372036854775808 exceeds the limit");
        }
        othersAreStillServed();
    }

    @Test
    void removedAndUnknownOperationsAreNamed() throws IOException {
        for (long op : new long[] {0, 15, 17, 24, 25, 2, 48, 1L << 40}) {
            try (TestClient c = new TestClient(server.socket())) {
                c.handshake(34);
                c.out.writeNum(op);
                Optional<String> err = c.readStderr();
                String text = err.orElseThrow();
                assertTrue(op == 2 || op >= 48 ? text.contains("unknown operation " + op) : text.contains("was removed"), text);
            }
        }
        othersAreStillServed();
    }

    @Test
    void malformedArgumentsGetAnError() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            c.handshake(34);
            c.out.writeNum(1).writeString("/not/a/store/path");
            assertTrue(c.readStderr().orElseThrow().contains("invalid store path"));
        }
        othersAreStillServed();
    }

    /**
     * Nix 2.23's client sends its version with the magic number and again after the daemon's reply
     * (then the obsolete CPU-affinity flag and reserve-space field); a daemon takes the second for
     * the affinity flag, and the affinity that follows, so the exchange still lines up.
     */
    @Test
    void nix223SendingItsVersionTwiceShakesHands() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            long v37 = ProtocolVersion.of(37).toWire();
            c.out.writeNum(Stderr.WORKER_MAGIC_1).writeNum(v37);
            assertEquals(Stderr.WORKER_MAGIC_2, c.in.readNum());
            c.in.readNum();
            c.out.writeNum(v37).writeNum(0).writeNum(0);
            assertEquals(DaemonConnection.DAEMON_VERSION, c.in.readString());
            c.in.readNum(); // trusted
            assertEquals(Optional.empty(), c.readStderr());
            c.setOptions();
            assertEquals(Optional.empty(), c.readStderr());
            // The connection is in step: an operation gets its (here: the unavailable backend's) answer.
            c.out.writeNum(1).writeString("/nix/store/00000000000000000000000000000000-x"); // IsValidPath
            assertTrue(c.readStderr().orElseThrow().contains("not available"));
        }
    }

    /** From 1.38 the daemon offers Nix 2.35's features and takes those the client has too. */
    @Test
    void theDaemonOffersNix235sFeatures() throws IOException {
        try (TestClient c = new TestClient(server.socket())) {
            c.out.writeNum(Stderr.WORKER_MAGIC_1).writeNum(ProtocolVersion.of(38).toWire());
            assertEquals(Stderr.WORKER_MAGIC_2, c.in.readNum());
            c.in.readNum();
            c.out.writeStrings(java.util.List.of("delete-dead-specific-referrers", "something-newer"));
            assertEquals(java.util.List.of("delete-dead-specific-referrers", "realisation-with-path-not-hash"), c.in.readStrings());
        }
    }

    @Test
    void everyVersionFromOldestToNewestShakesHands() throws IOException {
        for (int minor = 21; minor <= 40; minor++) {
            try (TestClient c = new TestClient(server.socket())) {
                c.handshake(minor);
                c.setOptions();
                assertEquals(Optional.empty(), c.readStderr(), "1." + minor);
            }
        }
    }
}
