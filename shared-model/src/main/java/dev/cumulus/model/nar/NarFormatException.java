package dev.cumulus.model.nar;

import java.io.IOException;

/** The bytes are not a well-formed NAR; the message says what is wrong and where. */
public class NarFormatException extends IOException {
    public NarFormatException(String message) {
        super(message);
    }
}
