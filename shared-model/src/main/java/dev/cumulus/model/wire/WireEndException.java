package dev.cumulus.model.wire;

/** The stream ended where more bytes were required. */
public final class WireEndException extends WireFormatException {
    public WireEndException(String message) {
        super(message);
    }
}
