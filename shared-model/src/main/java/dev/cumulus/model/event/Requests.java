package dev.cumulus.model.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The requests the store functions take. Paths are full store paths. */
public final class Requests {
    private Requests() {}

    /** One path: IsValidPath, QueryPathInfo, QueryReferrers, QueryValidDerivers, QueryDerivationOutputMap. */
    public record PathQuery(String path) {}

    /** Several paths: QueryValidPaths, QuerySubstitutablePaths. */
    public record PathsQuery(List<String> paths) {
        public PathsQuery {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /** QueryPathFromHashPart. */
    public record HashPartQuery(String hashPart) {}

    /** QueryAllValidPaths: up to {@code limit} paths after the page token {@code after} (null: from the start). */
    public record PageQuery(String after, int limit) {}

    /** QueryRealisation: an id in either form, {@code sha256:<hash>!out} or {@code <drvPath>^out}. */
    public record DrvOutputQuery(String id) {}

    /**
     * Register paths, references first. {@code trusted} is whether the caller is trusted;
     * {@code checkSigs} false (trusted callers only) registers unsigned input-addressed paths.
     * {@code tempRootsOf}, when set, is the connection whose temporary roots the paths become
     * (written before they are committed, so a collection never sees them unrooted).
     * {@code writtenSince} is when the writer began writing the paths' NAR objects (epoch millis;
     * null: unknown), which tells the registration whether a sweep of the bucket ran meanwhile.
     */
    public record RegisterPaths(boolean trusted, boolean checkSigs, List<NewPath> paths, String tempRootsOf,
                                Long writtenSince) {
        /** The most paths one registration takes: one DynamoDB transaction's worth. */
        public static final int MAX_PATHS = 100;

        public RegisterPaths {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }

        public RegisterPaths(boolean trusted, boolean checkSigs, List<NewPath> paths) {
            this(trusted, checkSigs, paths, null, null);
        }
    }

    /** RegisterDrvOutput: the realisation in Nix's JSON (either form). */
    public record RegisterRealisation(boolean trusted, JsonNode realisation) {}

    /** AddSignatures. */
    public record AddSignatures(String path, List<String> signatures) {
        public AddSignatures {
            signatures = signatures == null ? List.of() : List.copyOf(signatures);
        }
    }
}
