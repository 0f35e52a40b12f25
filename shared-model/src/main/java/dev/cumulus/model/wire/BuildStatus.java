package dev.cumulus.model.wire;

/** A build's outcome as Nix numbers it on the wire; the first three (and 13) are successes. */
public enum BuildStatus {
    BUILT(0, "Built"),
    SUBSTITUTED(1, "Substituted"),
    ALREADY_VALID(2, "AlreadyValid"),
    PERMANENT_FAILURE(3, "PermanentFailure"),
    INPUT_REJECTED(4, "InputRejected"),
    OUTPUT_REJECTED(5, "OutputRejected"),
    TRANSIENT_FAILURE(6, "TransientFailure"),
    CACHED_FAILURE(7, "CachedFailure"),
    TIMED_OUT(8, "TimedOut"),
    MISC_FAILURE(9, "MiscFailure"),
    DEPENDENCY_FAILED(10, "DependencyFailed"),
    LOG_LIMIT_EXCEEDED(11, "LogLimitExceeded"),
    NOT_DETERMINISTIC(12, "NotDeterministic"),
    RESOLVES_TO_ALREADY_VALID(13, "ResolvesToAlreadyValid"),
    NO_SUBSTITUTERS(14, "NoSubstituters");

    private final int code;
    private final String jsonName;

    BuildStatus(int code, String jsonName) {
        this.code = code;
        this.jsonName = jsonName;
    }

    public int code() {
        return code;
    }

    /** The name Nix's JSON uses ({@code "Built"}). */
    public String jsonName() {
        return jsonName;
    }

    public boolean isSuccess() {
        return code <= 2 || this == RESOLVES_TO_ALREADY_VALID;
    }

    public static BuildStatus fromWire(long v) throws WireFormatException {
        for (BuildStatus s : values()) {
            if (s.code == v) {
                return s;
            }
        }
        throw new WireFormatException("invalid build status " + Long.toUnsignedString(v));
    }

    public static BuildStatus fromJsonName(String name) {
        for (BuildStatus s : values()) {
            if (s.jsonName.equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown build status '" + name + "'");
    }
}
