package dev.cumulus.model.wire;

import java.util.Arrays;
import java.util.Optional;

/**
 * The commands of Nix's serve protocol ({@code nix-store --serve}, the {@code ssh://} store), by
 * their number on the wire. Newer Nix no longer sends ExportPaths, older clients may; writes and
 * builds need {@code --write}.
 */
public enum ServeCommand {
    QUERY_VALID_PATHS(1, "QueryValidPaths", false),
    QUERY_PATH_INFOS(2, "QueryPathInfos", false),
    DUMP_STORE_PATH(3, "DumpStorePath", false),
    IMPORT_PATHS(4, "ImportPaths", true),
    EXPORT_PATHS(5, "ExportPaths", false),
    BUILD_PATHS(6, "BuildPaths", true),
    QUERY_CLOSURE(7, "QueryClosure", false),
    BUILD_DERIVATION(8, "BuildDerivation", true),
    ADD_TO_STORE_NAR(9, "AddToStoreNar", true);

    private final long id;
    private final String displayName;
    private final boolean needsWrite;

    ServeCommand(long id, String displayName, boolean needsWrite) {
        this.id = id;
        this.displayName = displayName;
        this.needsWrite = needsWrite;
    }

    public long id() {
        return id;
    }

    public String displayName() {
        return displayName;
    }

    /** Whether {@code nix-store --serve} refuses it without {@code --write}. */
    public boolean needsWrite() {
        return needsWrite;
    }

    public static Optional<ServeCommand> byId(long id) {
        return Arrays.stream(values()).filter(c -> c.id == id).findFirst();
    }
}
