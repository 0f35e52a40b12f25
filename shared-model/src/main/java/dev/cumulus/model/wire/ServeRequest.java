package dev.cumulus.model.wire;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.SortedSet;

/**
 * One serve-protocol command with its decoded arguments. Bulk data is not in the record: after
 * ImportPaths come export records, after AddToStoreNar its NAR of {@code info.narSize()} bytes.
 * {@link ServeRequestReader} decodes these.
 */
public sealed interface ServeRequest {
    ServeCommand command();

    /** Which of {@code paths} are valid; {@code lock} asks for temporary roots, {@code substitute} to fetch the rest first (both need --write). */
    record QueryValidPaths(boolean lock, boolean substitute, SortedSet<StorePath> paths) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.QUERY_VALID_PATHS; }
    }

    record QueryPathInfos(SortedSet<StorePath> paths) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.QUERY_PATH_INFOS; }
    }

    record DumpStorePath(StorePath path) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.DUMP_STORE_PATH; }
    }

    record ImportPaths() implements ServeRequest {
        public ServeCommand command() { return ServeCommand.IMPORT_PATHS; }
    }

    record ExportPaths(SortedSet<StorePath> paths) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.EXPORT_PATHS; }
    }

    record BuildPaths(List<DerivedPath> paths, ServeBuildOptions options) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.BUILD_PATHS; }
    }

    /** The closure of {@code paths} under references, with {@code includeOutputs} also each derivation's valid outputs'. */
    record QueryClosure(boolean includeOutputs, SortedSet<StorePath> paths) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.QUERY_CLOSURE; }
    }

    record BuildDerivation(StorePath drvPath, Derivation derivation, ServeBuildOptions options) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.BUILD_DERIVATION; }
    }

    record AddToStoreNar(PathInfo info) implements ServeRequest {
        public ServeCommand command() { return ServeCommand.ADD_TO_STORE_NAR; }
    }
}
