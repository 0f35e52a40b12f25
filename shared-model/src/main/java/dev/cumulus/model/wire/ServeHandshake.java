package dev.cumulus.model.wire;

import java.io.IOException;

/**
 * The serve protocol's opening exchange as {@code nix-store --serve} runs it: the client's magic,
 * our magic and version, the client's version; both then speak the lower of the two.
 */
public final class ServeHandshake {
    public static final long SERVE_MAGIC_1 = 0x390c9debL;
    public static final long SERVE_MAGIC_2 = 0x5452eecbL;

    private ServeHandshake() {
    }

    public static ProtocolVersion accept(WireReader r, WireWriter w, ProtocolVersion ours) throws IOException {
        long magic = r.readNum();
        if (magic != SERVE_MAGIC_1) {
            throw new WireFormatException("protocol mismatch: expected the serve magic number 0x390c9deb, got 0x"
                    + Long.toHexString(magic));
        }
        w.writeNum(SERVE_MAGIC_2).writeNum(ours.toWire());
        w.flush();
        ProtocolVersion client = ProtocolVersion.fromWire(r.readNum());
        if (client.major() != ours.major()) {
            throw new WireFormatException("client serve protocol " + client + " has a different major version than " + ours);
        }
        return client.compareTo(ours) < 0 ? client : ours;
    }
}
