package dev.cumulus.model.wire;

import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.WorkerRequest.*;
import java.io.IOException;
import java.util.TreeMap;
import java.util.TreeSet;

/** Decodes an operation's arguments, as the negotiated version lays them out. */
public final class WorkerRequestReader {
    private final WorkerCodec codec;

    public WorkerRequestReader(WorkerCodec codec) {
        this.codec = codec;
    }

    /**
     * The arguments of {@code op}. Removed operations have no known layout: the caller must
     * refuse them (see {@link WorkerOp#isRemoved()}) before coming here.
     */
    public WorkerRequest read(WorkerOp op, WireReader r) throws IOException {
        ProtocolVersion v = codec.version();
        return switch (op) {
            case IS_VALID_PATH -> new IsValidPath(codec.readStorePath(r));
            case HAS_SUBSTITUTES -> new HasSubstitutes(codec.readStorePath(r));
            case QUERY_PATH_HASH -> new QueryPathHash(codec.readStorePath(r));
            case QUERY_REFERENCES -> new QueryReferences(codec.readStorePath(r));
            case QUERY_REFERRERS -> new QueryReferrers(codec.readStorePath(r));
            case ADD_TO_STORE -> v.atLeast(25) ? readAddToStore(r) : readOldAddToStore(r);
            case ADD_TEXT_TO_STORE -> {
                String name = r.readString();
                byte[] text = r.readBytes();
                yield new AddTextToStore(name, text, codec.readStorePaths(r));
            }
            case BUILD_PATHS -> new BuildPaths(codec.readDerivedPaths(r), codec.readBuildMode(r));
            case ENSURE_PATH -> new EnsurePath(codec.readStorePath(r));
            case ADD_TEMP_ROOT -> new AddTempRoot(codec.readStorePath(r));
            case ADD_INDIRECT_ROOT -> new AddIndirectRoot(r.readString());
            case SYNC_WITH_GC -> new SyncWithGc();
            case FIND_ROOTS -> new FindRoots();
            case EXPORT_PATH -> {
                StorePath p = codec.readStorePath(r);
                r.readNum(); // obsolete "sign" flag
                yield new ExportPath(p);
            }
            case QUERY_DERIVER -> new QueryDeriver(codec.readStorePath(r));
            case SET_OPTIONS -> new SetOptions(codec.readClientOptions(r));
            case COLLECT_GARBAGE -> new CollectGarbage(codec.readGcOptions(r));
            case QUERY_SUBSTITUTABLE_PATH_INFO -> new QuerySubstitutablePathInfo(codec.readStorePath(r));
            case QUERY_DERIVATION_OUTPUTS -> new QueryDerivationOutputs(codec.readStorePath(r));
            case QUERY_ALL_VALID_PATHS -> new QueryAllValidPaths();
            case QUERY_PATH_INFO -> new QueryPathInfo(codec.readStorePath(r));
            case IMPORT_PATHS -> new ImportPaths();
            case QUERY_DERIVATION_OUTPUT_NAMES -> new QueryDerivationOutputNames(codec.readStorePath(r));
            case QUERY_PATH_FROM_HASH_PART -> new QueryPathFromHashPart(r.readString(64));
            case QUERY_SUBSTITUTABLE_PATH_INFOS -> {
                if (v.atLeast(22)) {
                    yield new QuerySubstitutablePathInfos(codec.readStorePathCaMap(r));
                }
                var map = new TreeMap<StorePath, java.util.Optional<dev.cumulus.model.store.ContentAddress>>();
                for (StorePath p : codec.readStorePaths(r)) {
                    map.put(p, java.util.Optional.empty());
                }
                yield new QuerySubstitutablePathInfos(map);
            }
            case QUERY_VALID_PATHS -> {
                var paths = codec.readStorePaths(r);
                boolean substitute = v.atLeast(27) && r.readBool();
                yield new QueryValidPaths(paths, substitute);
            }
            case QUERY_SUBSTITUTABLE_PATHS -> new QuerySubstitutablePaths(codec.readStorePaths(r));
            case QUERY_VALID_DERIVERS -> new QueryValidDerivers(codec.readStorePath(r));
            case OPTIMISE_STORE -> new OptimiseStore();
            case VERIFY_STORE -> {
                boolean check = r.readBool();
                yield new VerifyStore(check, r.readBool());
            }
            case BUILD_DERIVATION -> {
                StorePath drvPath = codec.readStorePath(r);
                Derivation drv = codec.readBasicDerivation(r, drvPath);
                yield new BuildDerivation(drvPath, drv, codec.readBuildMode(r));
            }
            case ADD_SIGNATURES -> {
                StorePath p = codec.readStorePath(r);
                yield new AddSignatures(p, codec.readSignatures(r));
            }
            case NAR_FROM_PATH -> new NarFromPath(codec.readStorePath(r));
            case ADD_TO_STORE_NAR -> {
                PathInfo info = codec.readPathInfo(r);
                boolean repair = r.readBool();
                boolean dontCheckSigs = r.readBool();
                yield new AddToStoreNar(info, repair, dontCheckSigs, v.atLeast(23) ? Payload.FRAMED : Payload.PULLED);
            }
            case QUERY_MISSING -> new QueryMissing(codec.readDerivedPaths(r));
            case QUERY_DERIVATION_OUTPUT_MAP -> new QueryDerivationOutputMap(codec.readStorePath(r));
            case REGISTER_DRV_OUTPUT -> {
                if (v.atLeast(31)) {
                    yield new RegisterDrvOutput(codec.readRealisation(r));
                }
                DrvOutput id = codec.readDrvOutput(r);
                String outPath = r.readString();
                StorePath p = CommonCodec.parsing("output path '" + outPath + "'", () -> StorePath.parseBaseName(outPath));
                yield new RegisterDrvOutput(Realisation.of(id, p));
            }
            case QUERY_REALISATION -> new QueryRealisation(codec.readDrvOutput(r));
            case ADD_MULTIPLE_TO_STORE -> {
                boolean repair = r.readBool();
                yield new AddMultipleToStore(repair, r.readBool());
            }
            case ADD_BUILD_LOG -> new AddBuildLog(codec.readStorePath(r));
            case BUILD_PATHS_WITH_RESULTS -> new BuildPathsWithResults(codec.readDerivedPaths(r), codec.readBuildMode(r));
            case ADD_PERM_ROOT -> {
                StorePath p = codec.readStorePath(r);
                yield new AddPermRoot(p, r.readString());
            }
            case QUIT, OLD_COLLECT_GARBAGE, IMPORT_PATH, QUERY_FAILED_PATHS, CLEAR_FAILED_PATHS ->
                    throw new WireFormatException("operation " + op.displayName() + " (" + op.id() + ") was removed from the protocol");
        };
    }

    private AddToStore readAddToStore(WireReader r) throws IOException {
        String name = r.readString();
        String methodAlgo = r.readString();
        var refs = codec.readStorePaths(r);
        boolean repair = r.readBool();
        ContentAddressMethod method = ContentAddressMethod.FLAT;
        String algo = methodAlgo;
        if (algo.startsWith("fixed:")) {
            algo = algo.substring("fixed:".length());
        }
        if (algo.startsWith("r:")) {
            method = ContentAddressMethod.NAR;
            algo = algo.substring(2);
        } else if (algo.startsWith("text:")) {
            method = ContentAddressMethod.TEXT;
            algo = algo.substring(5);
        } else if (algo.startsWith("git:")) {
            throw new WireFormatException("git content addressing ('" + methodAlgo + "') is not supported");
        }
        String a = algo;
        HashAlgorithm hashAlgorithm = CommonCodec.parsing("content address method '" + methodAlgo + "'", () -> HashAlgorithm.parse(a));
        return new AddToStore(name, method, hashAlgorithm, refs, repair, Payload.FRAMED);
    }

    /** Before 1.25: name, an obsolete "fixed" flag, recursive (0 or 1), hash algorithm; a NAR follows. */
    private AddToStore readOldAddToStore(WireReader r) throws IOException {
        String name = r.readString();
        boolean fixed = r.readBool();
        long recursive = r.readNum();
        String algo = r.readString();
        if (recursive > 1 || recursive < 0) {
            throw new WireFormatException("unsupported file ingestion method " + Long.toUnsignedString(recursive));
        }
        ContentAddressMethod method = recursive == 1 ? ContentAddressMethod.NAR : ContentAddressMethod.FLAT;
        if (!fixed) {
            // Nix's compatibility rule: a non-fixed add is a recursive sha256 one.
            algo = "sha256";
            method = ContentAddressMethod.NAR;
        }
        String a = algo;
        HashAlgorithm hashAlgorithm = CommonCodec.parsing("hash algorithm '" + algo + "'", () -> HashAlgorithm.parse(a));
        return new AddToStore(name, method, hashAlgorithm, new TreeSet<>(), false, Payload.INLINE_NAR);
    }
}
