package dev.cumulus.proxy;

import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.model.wire.WireWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Optional;

/** A minimal worker-protocol client for tests: raw bytes in, the daemon's answers out. */
public final class TestClient implements AutoCloseable {
    final SocketChannel channel;
    public final WireReader in;
    public final WireWriter out;
    final OutputStream raw;
    /** The protocol's minor version once shaken hands: errors are framed differently before 1.26. */
    private int minor = 38;

    public TestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        in = new WireReader(Channels.newInputStream(channel));
        raw = Channels.newOutputStream(channel);
        out = new WireWriter(raw);
    }

    /** The opening exchange at {@code minor}; returns the daemon's version string (1.33+). */
    public String handshake(int minor) throws IOException {
        this.minor = minor;
        out.writeNum(Stderr.WORKER_MAGIC_1).writeNum(ProtocolVersion.of(minor).toWire());
        if (in.readNum() != Stderr.WORKER_MAGIC_2) {
            throw new IOException("bad daemon magic");
        }
        in.readNum();
        if (minor >= 38) {
            out.writeNum(0);
            in.readStrings();
        }
        out.writeNum(0).writeNum(0);
        String version = minor >= 33 ? in.readString() : "";
        if (minor >= 35) {
            in.readNum();
        }
        Optional<String> err = readStderr();
        if (err.isPresent()) {
            throw new IOException(err.get());
        }
        return version;
    }

    /** Reads log messages until STDERR_LAST (empty) or STDERR_ERROR (its message). */
    public Optional<String> readStderr() throws IOException {
        return readStderr(InputStream.nullInputStream(), OutputStream.nullOutputStream());
    }

    /**
     * Reads log messages until STDERR_LAST (empty) or STDERR_ERROR (its message), answering the
     * daemon's STDERR_READ requests from {@code pulled} and keeping its STDERR_WRITE data in {@code written}.
     */
    public Optional<String> readStderr(InputStream pulled, OutputStream written) throws IOException {
        while (true) {
            long msg = in.readNum();
            if (msg == Stderr.READ) {
                byte[] chunk = pulled.readNBytes((int) Math.min(in.readNum(), 1 << 20));
                out.writeBytes(chunk);
            } else if (msg == Stderr.WRITE) {
                written.write(in.readBytes());
            } else if (msg == Stderr.LAST) {
                return Optional.empty();
            } else if (msg == Stderr.ERROR && minor < 26) {
                String text = in.readString(); // before 1.26: the message and an exit status
                in.readNum();
                return Optional.of(text);
            } else if (msg == Stderr.ERROR) {
                in.readString(); // "Error"
                in.readNum();
                in.readString();
                String text = in.readString();
                in.readNum();
                long traces = in.readNum();
                for (long i = 0; i < traces; i++) {
                    in.readNum();
                    in.readString();
                }
                return Optional.of(text);
            } else if (msg == Stderr.NEXT) {
                in.readString();
            } else if (msg == Stderr.START_ACTIVITY) {
                in.readNum(); // id
                in.readNum(); // level
                in.readNum(); // type
                in.readString(); // text
                readFields();
                in.readNum(); // parent
            } else if (msg == Stderr.STOP_ACTIVITY) {
                in.readNum();
            } else if (msg == Stderr.RESULT) {
                in.readNum(); // activity
                in.readNum(); // type
                readFields();
            } else {
                throw new IOException("unexpected stderr message 0x" + Long.toHexString(msg));
            }
        }
    }

    /** An activity's or a result's fields: each a number (type 0) or a string (type 1). */
    private void readFields() throws IOException {
        long n = in.readNum();
        for (long i = 0; i < n; i++) {
            if (in.readNum() == 0) {
                in.readNum();
            } else {
                in.readString();
            }
        }
    }

    /** SetOptions with Nix 2.8's defaults and no overrides. */
    void setOptions() throws IOException {
        out.writeNum(19);
        for (long v : new long[] {0, 0, 0, 3, 1, 0, 1, 0, 0, 0, 2, 1, 0}) {
            out.writeNum(v);
        }
    }

    void send(byte[] bytes) throws IOException {
        raw.write(bytes);
    }

    /** Whether the daemon closed the connection (reads EOF). */
    boolean closedByDaemon() throws IOException {
        try {
            return in.stream().read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
