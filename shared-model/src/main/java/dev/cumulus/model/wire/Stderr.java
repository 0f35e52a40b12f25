package dev.cumulus.model.wire;

/**
 * The daemon's side-channel messages, sent while it works on an operation: log lines, activities
 * and their results, requests for more data, and the end of the work (success or an error).
 */
public final class Stderr {
    public static final long WORKER_MAGIC_1 = 0x6e697863L;
    public static final long WORKER_MAGIC_2 = 0x6478696fL;

    public static final long WRITE = 0x64617416L;
    public static final long READ = 0x64617461L;
    public static final long ERROR = 0x63787470L;
    public static final long NEXT = 0x6f6c6d67L;
    public static final long START_ACTIVITY = 0x53545254L;
    public static final long STOP_ACTIVITY = 0x53544f50L;
    public static final long RESULT = 0x52534c54L;
    public static final long LAST = 0x616c7473L;

    /** Activity types, as {@code nix} shows them (copy progress bars, builds). */
    public static final long ACT_UNKNOWN = 0;
    public static final long ACT_COPY_PATH = 100;
    public static final long ACT_FILE_TRANSFER = 101;
    public static final long ACT_REALISE = 102;
    public static final long ACT_COPY_PATHS = 103;
    public static final long ACT_BUILDS = 104;
    public static final long ACT_BUILD = 105;
    public static final long ACT_VERIFY_PATHS = 107;

    /** Result types. */
    public static final long RES_BUILD_LOG_LINE = 101;
    public static final long RES_SET_PHASE = 104;
    public static final long RES_PROGRESS = 105;
    public static final long RES_SET_EXPECTED = 106;

    /** Log levels. */
    public static final long LVL_ERROR = 0;
    public static final long LVL_WARN = 1;
    public static final long LVL_NOTICE = 2;
    public static final long LVL_INFO = 3;
    public static final long LVL_TALKATIVE = 4;
    public static final long LVL_CHATTY = 5;
    public static final long LVL_DEBUG = 6;
    public static final long LVL_VOMIT = 7;

    private Stderr() {
    }
}
