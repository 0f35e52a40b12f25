package dev.cumulus.model.wire;

/** How BuildPaths, BuildPathsWithResults and BuildDerivation should build: normally, repairing, or checking determinism. */
public enum BuildMode {
    NORMAL, REPAIR, CHECK;

    public static BuildMode fromWire(long v) throws WireFormatException {
        if (v < 0 || v >= values().length) {
            throw new WireFormatException("invalid build mode " + Long.toUnsignedString(v));
        }
        return values()[(int) v];
    }
}
