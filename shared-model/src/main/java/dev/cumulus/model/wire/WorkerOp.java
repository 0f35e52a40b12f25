package dev.cumulus.model.wire;

import java.util.Optional;

/**
 * The daemon's operations by wire id, with the protocol version each appeared in and, for old
 * ones, the version that made it obsolete (still served: old clients send them) or removed it
 * (answered with an error). Ids 0 to 47; 2 was never used by a released Nix.
 */
public enum WorkerOp {
    QUIT(0, 0, -1, 0),
    IS_VALID_PATH(1, 0, -1, -1),
    HAS_SUBSTITUTES(3, 0, 12, -1),
    QUERY_PATH_HASH(4, 0, 16, -1),
    QUERY_REFERENCES(5, 0, 16, -1),
    QUERY_REFERRERS(6, 0, -1, -1),
    ADD_TO_STORE(7, 0, -1, -1),
    ADD_TEXT_TO_STORE(8, 0, 25, -1),
    BUILD_PATHS(9, 0, -1, -1),
    ENSURE_PATH(10, 0, -1, -1),
    ADD_TEMP_ROOT(11, 0, -1, -1),
    ADD_INDIRECT_ROOT(12, 0, -1, -1),
    SYNC_WITH_GC(13, 0, 32, -1),
    FIND_ROOTS(14, 0, -1, -1),
    OLD_COLLECT_GARBAGE(15, 0, -1, 2),
    EXPORT_PATH(16, 0, 17, -1),
    IMPORT_PATH(17, 0, -1, 9),
    QUERY_DERIVER(18, 0, 16, -1),
    SET_OPTIONS(19, 0, -1, -1),
    COLLECT_GARBAGE(20, 2, -1, -1),
    QUERY_SUBSTITUTABLE_PATH_INFO(21, 2, 12, -1),
    QUERY_DERIVATION_OUTPUTS(22, 5, 22, -1),
    QUERY_ALL_VALID_PATHS(23, 5, -1, -1),
    QUERY_FAILED_PATHS(24, 5, -1, 16),
    CLEAR_FAILED_PATHS(25, 5, -1, 16),
    QUERY_PATH_INFO(26, 6, -1, -1),
    IMPORT_PATHS(27, 9, 17, -1),
    QUERY_DERIVATION_OUTPUT_NAMES(28, 8, 21, -1),
    QUERY_PATH_FROM_HASH_PART(29, 11, -1, -1),
    QUERY_SUBSTITUTABLE_PATH_INFOS(30, 12, 19, -1),
    QUERY_VALID_PATHS(31, 12, -1, -1),
    QUERY_SUBSTITUTABLE_PATHS(32, 12, -1, -1),
    QUERY_VALID_DERIVERS(33, 13, -1, -1),
    OPTIMISE_STORE(34, 14, -1, -1),
    VERIFY_STORE(35, 14, -1, -1),
    BUILD_DERIVATION(36, 14, -1, -1),
    ADD_SIGNATURES(37, 16, -1, -1),
    NAR_FROM_PATH(38, 17, -1, -1),
    ADD_TO_STORE_NAR(39, 17, -1, -1),
    QUERY_MISSING(40, 19, -1, -1),
    QUERY_DERIVATION_OUTPUT_MAP(41, 22, -1, -1),
    REGISTER_DRV_OUTPUT(42, 27, -1, -1),
    QUERY_REALISATION(43, 27, -1, -1),
    ADD_MULTIPLE_TO_STORE(44, 32, -1, -1),
    ADD_BUILD_LOG(45, 32, -1, -1),
    BUILD_PATHS_WITH_RESULTS(46, 34, -1, -1),
    ADD_PERM_ROOT(47, 36, -1, -1);

    private static final WorkerOp[] BY_ID = new WorkerOp[48];

    static {
        for (WorkerOp op : values()) {
            BY_ID[op.id] = op;
        }
    }

    private final int id;
    private final int since;
    private final int obsoleteSince;
    private final int removedIn;

    WorkerOp(int id, int since, int obsoleteSince, int removedIn) {
        this.id = id;
        this.since = since;
        this.obsoleteSince = obsoleteSince;
        this.removedIn = removedIn;
    }

    public int id() {
        return id;
    }

    /** The protocol minor version (1.x) the operation appeared in. */
    public int since() {
        return since;
    }

    public boolean isObsolete() {
        return obsoleteSince >= 0;
    }

    public boolean isRemoved() {
        return removedIn >= 0;
    }

    /** Nix's name for it: {@code QueryPathInfo}. */
    public String displayName() {
        StringBuilder s = new StringBuilder();
        for (String part : name().split("_")) {
            s.append(part.charAt(0)).append(part.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return s.toString();
    }

    public static Optional<WorkerOp> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }
}
