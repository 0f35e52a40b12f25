package dev.cumulus.model.wire;

import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * The daemon's side of the opening exchange: magic numbers, the version (the lower of the two
 * sides'), features from 1.38, then the obsolete CPU-affinity and reserve-space fields the client
 * still sends. What follows ({@link HandshakeInfo}, then STDERR_LAST) is the caller's.
 */
public final class ServerHandshake {
    /** What both sides settled on. */
    public record Negotiated(ProtocolVersion version, Set<String> features) {
        public Negotiated {
            features = Set.copyOf(features);
        }
    }

    private ServerHandshake() {
    }

    public static Negotiated accept(WireReader r, WireWriter w, ProtocolVersion ours, Set<String> ourFeatures) throws IOException {
        long magic = r.readNum();
        if (magic != Stderr.WORKER_MAGIC_1) {
            throw new WireFormatException("protocol mismatch: expected the worker magic number 0x6e697863, got 0x"
                    + Long.toHexString(magic));
        }
        w.writeNum(Stderr.WORKER_MAGIC_2).writeNum(ours.toWire());
        w.flush();
        ProtocolVersion client = ProtocolVersion.fromWire(r.readNum());
        if (client.major() != ours.major()) {
            throw new WireFormatException("client protocol " + client + " has a different major version than " + ours);
        }
        if (client.compareTo(ProtocolVersion.OLDEST) < 0) {
            throw new WireFormatException("the Nix client is too old: protocol " + client + ", this store needs "
                    + ProtocolVersion.OLDEST + " (Nix 2.0) or newer");
        }
        ProtocolVersion version = client.compareTo(ours) < 0 ? client : ours;
        Set<String> features = Set.of();
        if (version.atLeast(38)) {
            Set<String> theirs = r.readStringSet();
            w.writeStrings(new TreeSet<>(ourFeatures));
            w.flush();
            Set<String> common = new TreeSet<>(theirs);
            common.retainAll(ourFeatures);
            features = common;
        }
        if (version.atLeast(14) && r.readNum() != 0) {
            r.readNum(); // obsolete CPU affinity
        }
        if (version.atLeast(11)) {
            r.readNum(); // obsolete reserveSpace
        }
        return new Negotiated(version, features);
    }
}
