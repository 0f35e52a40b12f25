package dev.cumulus.model.wire;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * One operation a client asked for, with its decoded arguments: one record per operation of the
 * daemon's table. Bulk data (NARs, logs) is not in the record; {@link #payload()} says how it
 * follows on the connection. {@link WorkerRequestReader} decodes these.
 */
public sealed interface WorkerRequest {
    WorkerOp op();

    default Payload payload() {
        return Payload.NONE;
    }

    record IsValidPath(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.IS_VALID_PATH; }
    }

    record HasSubstitutes(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.HAS_SUBSTITUTES; }
    }

    record QueryPathHash(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_PATH_HASH; }
    }

    record QueryReferences(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_REFERENCES; }
    }

    record QueryReferrers(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_REFERRERS; }
    }

    /**
     * AddToStore: content-addressed data to add. From 1.25 the name, method, references and the
     * data framed (a NAR for NAR, the file itself for flat and text); before, a NAR always follows raw.
     */
    record AddToStore(String name, ContentAddressMethod method, HashAlgorithm hashAlgorithm, SortedSet<StorePath> references,
                      boolean repair, Payload payload) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_TO_STORE; }
    }

    record AddTextToStore(String name, byte[] text, SortedSet<StorePath> references) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_TEXT_TO_STORE; }
    }

    record BuildPaths(List<DerivedPath> paths, BuildMode mode) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.BUILD_PATHS; }
    }

    record EnsurePath(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ENSURE_PATH; }
    }

    record AddTempRoot(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_TEMP_ROOT; }
    }

    /** A symlink on the client's file system that points into the store. */
    record AddIndirectRoot(String link) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_INDIRECT_ROOT; }
    }

    record SyncWithGc() implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.SYNC_WITH_GC; }
    }

    record FindRoots() implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.FIND_ROOTS; }
    }

    record ExportPath(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.EXPORT_PATH; }
    }

    record QueryDeriver(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_DERIVER; }
    }

    record SetOptions(ClientOptions options) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.SET_OPTIONS; }
    }

    record CollectGarbage(GcOptions options) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.COLLECT_GARBAGE; }
    }

    record QuerySubstitutablePathInfo(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFO; }
    }

    record QueryDerivationOutputs(StorePath drvPath) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_DERIVATION_OUTPUTS; }
    }

    record QueryAllValidPaths() implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_ALL_VALID_PATHS; }
    }

    record QueryPathInfo(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_PATH_INFO; }
    }

    /** ImportPaths: paths in {@code nix-store --export} format, pulled with STDERR_READ. */
    record ImportPaths() implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.IMPORT_PATHS; }
        public Payload payload() { return Payload.PULLED; }
    }

    record QueryDerivationOutputNames(StorePath drvPath) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_DERIVATION_OUTPUT_NAMES; }
    }

    record QueryPathFromHashPart(String hashPart) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_PATH_FROM_HASH_PART; }
    }

    record QuerySubstitutablePathInfos(SortedMap<StorePath, Optional<ContentAddress>> paths) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_SUBSTITUTABLE_PATH_INFOS; }
    }

    record QueryValidPaths(SortedSet<StorePath> paths, boolean substitute) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_VALID_PATHS; }
    }

    record QuerySubstitutablePaths(SortedSet<StorePath> paths) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_SUBSTITUTABLE_PATHS; }
    }

    record QueryValidDerivers(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_VALID_DERIVERS; }
    }

    record OptimiseStore() implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.OPTIMISE_STORE; }
    }

    record VerifyStore(boolean checkContents, boolean repair) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.VERIFY_STORE; }
    }

    record BuildDerivation(StorePath drvPath, Derivation derivation, BuildMode mode) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.BUILD_DERIVATION; }
    }

    record AddSignatures(StorePath path, List<Signature> signatures) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_SIGNATURES; }
    }

    record NarFromPath(StorePath path) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.NAR_FROM_PATH; }
    }

    /** AddToStoreNar: a path with its info, the NAR framed (1.23+) or pulled with STDERR_READ (1.21, 1.22). */
    record AddToStoreNar(PathInfo info, boolean repair, boolean dontCheckSigs, Payload payload) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_TO_STORE_NAR; }
    }

    record QueryMissing(List<DerivedPath> targets) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_MISSING; }
    }

    record QueryDerivationOutputMap(StorePath drvPath) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_DERIVATION_OUTPUT_MAP; }
    }

    record RegisterDrvOutput(Realisation realisation) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.REGISTER_DRV_OUTPUT; }
    }

    record QueryRealisation(DrvOutput id) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.QUERY_REALISATION; }
    }

    /** AddMultipleToStore: a framed stream of a count, then each path's info (at 1.16) followed by its NAR. */
    record AddMultipleToStore(boolean repair, boolean dontCheckSigs) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_MULTIPLE_TO_STORE; }
        public Payload payload() { return Payload.FRAMED; }
    }

    /** AddBuildLog: the log of building {@code drvPath}, framed. */
    record AddBuildLog(StorePath drvPath) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_BUILD_LOG; }
        public Payload payload() { return Payload.FRAMED; }
    }

    record BuildPathsWithResults(List<DerivedPath> paths, BuildMode mode) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.BUILD_PATHS_WITH_RESULTS; }
    }

    record AddPermRoot(StorePath path, String gcRoot) implements WorkerRequest {
        public WorkerOp op() { return WorkerOp.ADD_PERM_ROOT; }
    }
}
