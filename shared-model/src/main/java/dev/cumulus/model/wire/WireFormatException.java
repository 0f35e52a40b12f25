package dev.cumulus.model.wire;

import java.io.IOException;

/**
 * Bytes on a Nix protocol connection that do not form what was expected: a bad magic number, a
 * length over its limit, non-zero padding, a truncated stream, a malformed store path. The one
 * exception the codec throws for bad input, so a server can answer it cleanly.
 */
public class WireFormatException extends IOException {
    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
