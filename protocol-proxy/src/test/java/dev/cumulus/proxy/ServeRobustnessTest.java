package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.ServeHandshake;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.proxy.backend.Backends;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serve protocol as the {@code remote-program} relay reaches it on the unix socket: bad bytes,
 * commands a read-only connection may not run and backend failures end the connection with an
 * error on stderr and status 1, never a hang; the socket goes on serving both protocols.
 */
class ServeRobustnessTest {
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

    /** What came back: stdout's bytes, stderr's text, the exit status (-1: the socket closed without one). */
    record Outcome(byte[] stdout, String stderr, int status) {}

    /** Runs {@code command} through the socket as the relay does, sends {@code input}, closes our side and reads every frame. */
    Outcome run(String command, byte[] input) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(server.socket()))) {
                ByteArrayOutputStream preamble = new ByteArrayOutputStream();
                new WireWriter(preamble).writeNum(UnixSocketServer.COMMAND_MAGIC).writeString(command);
                var out = Channels.newOutputStream(ch);
                out.write(preamble.toByteArray());
                out.write(input);
                out.flush();
                ch.shutdownOutput();
                DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
                ByteArrayOutputStream stdout = new ByteArrayOutputStream();
                ByteArrayOutputStream stderr = new ByteArrayOutputStream();
                while (true) {
                    int tag;
                    int length;
                    try {
                        tag = in.readUnsignedByte();
                        length = in.readInt();
                    } catch (EOFException closed) {
                        return new Outcome(stdout.toByteArray(), stderr.toString(StandardCharsets.UTF_8), -1);
                    }
                    if (tag == MultiplexedOutput.EXIT) {
                        return new Outcome(stdout.toByteArray(), stderr.toString(StandardCharsets.UTF_8), length);
                    }
                    byte[] data = in.readNBytes(length);
                    (tag == MultiplexedOutput.STDERR ? stderr : stdout).write(data);
                }
            }
        });
    }

    static byte[] serve(long... nums) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        WireWriter w = new WireWriter(b);
        for (long n : nums) {
            w.writeNum(n);
        }
        return b.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static final byte[] HELLO = helloAt(0x207);

    static byte[] helloAt(long version) {
        try {
            return serve(ServeHandshake.SERVE_MAGIC_1, version);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The worker protocol on the same socket still answers, and a serve client that only shakes hands exits 0. */
    void othersAreStillServed() throws IOException {
        ProxyRobustnessTest.aWorkerClientIsServed(server.socket());
        Outcome hello = run("nix-store --serve --write", HELLO);
        assertEquals(0, hello.status(), hello.stderr());
        assertArrayEquals(serve(ServeHandshake.SERVE_MAGIC_2, 0x208), hello.stdout(), "our magic and version 2.8");
    }

    @Test
    void aClientThatShakesHandsAndLeavesExitsCleanly() throws IOException {
        othersAreStillServed();
    }

    @Test
    void aBackendFailureIsAnErrorOnStderrAndStatusOne() throws IOException {
        ByteArrayOutputStream path = new ByteArrayOutputStream();
        new WireWriter(path).writeString("/nix/store/00000000000000000000000000000000-x");
        byte[] query = concat(HELLO, concat(serve(1, 0, 0, 1), path.toByteArray()));
        Outcome o = run("nix-store --serve --write", query);
        assertEquals(1, o.status());
        assertTrue(o.stderr().startsWith("error: ") && o.stderr().contains("not available"), o.stderr());
        othersAreStillServed();
    }

    @Test
    void aWrongMagicIsAProtocolError() throws IOException {
        Outcome o = run("nix-store --serve --write", serve(0x6e697863, 0x207));
        assertEquals(1, o.status());
        assertTrue(o.stderr().contains("protocol mismatch"), o.stderr());
        assertEquals(0, o.stdout().length, "nothing answered");
        othersAreStillServed();
    }

    @Test
    void aLengthOf2To63IsRefusedBeforeAnythingIsAllocated() throws IOException {
        Outcome o = run("nix-store --serve --write", concat(HELLO, serve(1, 0, 0, Long.MAX_VALUE)));
        assertEquals(1, o.status());
        assertTrue(o.stderr().contains("protocol error"), o.stderr());
        othersAreStillServed();
    }

    @Test
    void aTruncatedCommandEndsTheConnection() throws IOException {
        byte[] truncated = concat(HELLO, concat(serve(2, 1, 44), "/nix/store/0000".getBytes()));
        Outcome o = run("nix-store --serve --write", truncated);
        assertEquals(1, o.status());
        assertTrue(o.stderr().startsWith("error: "), o.stderr());
        othersAreStillServed();
    }

    @Test
    void anUnknownCommandEndsTheConnection() throws IOException {
        Outcome o = run("nix-store --serve --write", concat(HELLO, serve(42)));
        assertEquals(1, o.status());
        assertTrue(o.stderr().contains("unknown serve command 42"), o.stderr());
        othersAreStillServed();
    }

    @Test
    void withoutWriteImportsAndBuildsAreRefusedAsNixRefusesThem() throws IOException {
        for (long command : new long[] {4, 9}) {
            Outcome o = run("nix-store --serve", concat(HELLO, serve(command)));
            assertEquals(1, o.status());
            assertEquals("error: importing paths is not allowed\n", o.stderr());
        }
        for (long command : new long[] {6, 8}) {
            Outcome o = run("nix-store --serve", concat(HELLO, serve(command)));
            assertEquals(1, o.status());
            assertEquals("error: building paths is not allowed\n", o.stderr());
        }
        othersAreStillServed();
    }

    @Test
    void aCommandThatIsNeitherProtocolIsRefusedWithStatus127() throws IOException {
        Outcome o = run("sh -c reboot", new byte[0]);
        assertEquals(127, o.status());
        assertTrue(o.stderr().contains("not 'sh -c reboot'"), o.stderr());
        Outcome store = run("nix-store --serve --write --store /elsewhere", new byte[0]);
        assertEquals(127, store.status());
        assertTrue(store.stderr().contains("drop '--store'"), store.stderr());
        othersAreStillServed();
    }
}
