package dev.cumulus.model.wire;

/** A worker protocol version, {@code major.minor}, sent on the wire as {@code major << 8 | minor}. */
public record ProtocolVersion(int major, int minor) implements Comparable<ProtocolVersion> {
    /** The oldest client this proxy serves (Nix 2.0-era clients below it lack framed NAR streams, STDERR_READ). */
    public static final ProtocolVersion OLDEST = new ProtocolVersion(1, 21);
    /** The newest version this proxy speaks (Nix 2.24+); newer clients are answered at this version. */
    public static final ProtocolVersion NEWEST = new ProtocolVersion(1, 38);

    public ProtocolVersion {
        if (major < 0 || major > 0xff || minor < 0 || minor > 0xff) {
            throw new IllegalArgumentException("protocol version " + major + "." + minor + " is out of range");
        }
    }

    public static ProtocolVersion of(int minor) {
        return new ProtocolVersion(1, minor);
    }

    public static ProtocolVersion fromWire(long v) throws WireFormatException {
        if (v < 0 || v > 0xffff) {
            throw new WireFormatException("protocol version 0x" + Long.toHexString(v) + " is not a version");
        }
        return new ProtocolVersion((int) (v >> 8), (int) (v & 0xff));
    }

    public long toWire() {
        return ((long) major << 8) | minor;
    }

    /** Whether this is 1.{@code minor} or newer. */
    public boolean atLeast(int minor) {
        return compareTo(of(minor)) >= 0;
    }

    @Override
    public int compareTo(ProtocolVersion o) {
        return Long.compare(toWire(), o.toWire());
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
