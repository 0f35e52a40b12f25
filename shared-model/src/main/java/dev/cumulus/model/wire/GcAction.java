package dev.cumulus.model.wire;

/** What CollectGarbage should do: list live paths, list dead paths, delete dead paths, or delete the given ones. */
public enum GcAction {
    RETURN_LIVE, RETURN_DEAD, DELETE_DEAD, DELETE_SPECIFIC;

    public static GcAction fromWire(long v) throws WireFormatException {
        if (v < 0 || v >= values().length) {
            throw new WireFormatException("invalid garbage collector action " + Long.toUnsignedString(v));
        }
        return values()[(int) v];
    }
}
