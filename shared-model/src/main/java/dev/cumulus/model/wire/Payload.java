package dev.cumulus.model.wire;

/**
 * How an operation's bulk data follows its arguments on the connection. The request records carry
 * only the arguments; whoever serves the request reads the payload in the way named here.
 */
public enum Payload {
    /** Nothing follows. */
    NONE,
    /** A framed stream (see {@link FramedInputStream}). */
    FRAMED,
    /** One NAR, raw, straight on the connection (AddToStore before 1.25). */
    INLINE_NAR,
    /** Data the daemon asks for with STDERR_READ, each answer a string (ImportPaths; AddToStoreNar 1.21-1.22). */
    PULLED
}
