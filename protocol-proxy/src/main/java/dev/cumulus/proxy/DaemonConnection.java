package dev.cumulus.proxy;

import dev.cumulus.model.derived.DerivedPath;
import dev.cumulus.model.derived.Realisation;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.FramedInputStream;
import dev.cumulus.model.wire.GcAction;
import dev.cumulus.model.wire.HandshakeInfo;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.ServerHandshake;
import dev.cumulus.model.wire.WireFormatException;
import dev.cumulus.model.wire.WireReader;
import dev.cumulus.model.wire.WireWriter;
import dev.cumulus.model.wire.WorkerCodec;
import dev.cumulus.model.wire.WorkerOp;
import dev.cumulus.model.wire.WorkerRequest.*;
import dev.cumulus.model.wire.WorkerRequest;
import dev.cumulus.model.wire.WorkerRequestReader;
import dev.cumulus.proxy.backend.Caller;
import dev.cumulus.proxy.backend.ClientLogger;
import dev.cumulus.proxy.backend.NarService.PathBatch;
import dev.cumulus.proxy.backend.StoreException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection speaking the worker protocol, from the handshake to the client hanging
 * up: each operation is decoded, handed to its backend, and answered in the client's version.
 * A backend failure becomes STDERR_ERROR and the connection goes on; bytes that break the
 * protocol get an error (where the client can still read one) and the connection is closed.
 */
public final class DaemonConnection extends ClientConnection {
    /** What {@code nix store ping} shows as the daemon's version. */
    public static final String DAEMON_VERSION = "cumulus-0.1.0";
    private static final Logger LOG = Logger.getLogger(DaemonConnection.class.getName());

    private WorkerCodec codec;
    private StderrLogger logger;

    /** A connection of a transport configured by {@code config}, counting failed operations in its metrics. */
    public DaemonConnection(ProxyConfig config, Caller caller, InputStream in, OutputStream out) {
        super(config, caller, in, out);
    }

    @Override
    public ClientLogger logger() {
        return logger;
    }

    /** Serves until the client hangs up or breaks the protocol; never throws. */
    public void run() {
        try {
            ServerHandshake.Negotiated n = ServerHandshake.accept(in, out, ProtocolVersion.NEWEST, WorkerCodec.FEATURES);
            codec = new WorkerCodec(storeDir, n.version(), n.features());
            logger = new StderrLogger(out, n.version());
            codec.writeHandshakeInfo(out, new HandshakeInfo(Optional.of(DAEMON_VERSION), Optional.of(caller.trusted())));
            logger.startWork();
            logger.stopWork();
            out.flush();
            opened();
            WorkerRequestReader requests = new WorkerRequestReader(codec);
            for (OptionalLong opId; (opId = in.readNumOrEnd()).isPresent(); ) {
                if (!serve(requests, opId.getAsLong())) {
                    break;
                }
            }
        } catch (WireFormatException e) {
            LOG.log(Level.FINE, "connection " + connectionId() + " (" + caller.name() + ") broke the protocol: " + e.getMessage());
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.FINE, "connection " + connectionId() + " (" + caller.name() + ") failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "connection " + connectionId() + " (" + caller.name() + ") ended by an unexpected error", e);
        } finally {
            closed();
        }
    }

    /** Serves one operation; false when the connection must close. */
    private boolean serve(WorkerRequestReader requests, long opId) throws IOException {
        Optional<WorkerOp> known = WorkerOp.byId(opId);
        if (known.isEmpty() || known.get().isRemoved()) {
            String what = known.map(op -> "operation " + op.displayName() + " (" + opId + ") was removed from the Nix protocol")
                    .orElse("unknown operation " + Long.toUnsignedString(opId));
            // Its arguments have no known layout, so nothing after it can be read.
            logger.stopWork(what + "; this store cannot continue the connection");
            return false;
        }
        WorkerOp op = known.get();
        WorkerRequest req;
        try {
            req = requests.read(op, in);
        } catch (WireFormatException e) {
            failed(op);
            logger.stopWork("bad arguments for " + op.displayName() + ": " + e.getMessage());
            return false;
        }
        logger.startWork();
        PayloadStream payload;
        try {
            payload = openPayload(req);
        } catch (IOException e) {
            failed(op);
            logger.stopWork(op.displayName() + ": " + e.getMessage());
            return false;
        }
        Reply reply;
        try {
            reply = perform(req, payload);
            payload.finish();
        } catch (UncheckedIOException e) {
            failed(op);
            if (payload.failed() || e.getCause() instanceof WireFormatException) {
                logger.stopWork(op.displayName() + ": " + e.getCause().getMessage());
                return false;
            }
            throw e;
        } catch (IOException e) {
            failed(op);
            // Malformed data from the client (a frame, a NAR): the stream cannot be resynchronised.
            logger.stopWork(op.displayName() + ": " + e.getMessage());
            return false;
        } catch (RuntimeException e) {
            failed(op);
            if (!(e instanceof StoreException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof UnsupportedOperationException)) {
                LOG.log(Level.WARNING, op.displayName() + " failed unexpectedly", e);
            }
            return fail(e, payload);
        } finally {
            payload.cleanUp();
        }
        logger.stopWork();
        try {
            reply.write(out);
        } catch (StoreException e) {
            failed(op);
            // After STDERR_LAST there is no error frame: closing is how the client learns (a NAR that
            // stops short is its error). The backend logged what went wrong.
            LOG.log(Level.FINE, "connection " + connectionId() + ": " + op.displayName() + " failed after its reply began: " + e.getMessage());
            return false;
        }
        out.flush();
        return true;
    }

    private void failed(WorkerOp op) {
        metrics.count(StoreMetrics.ERRORS, 1, op.displayName());
    }

    /** Reports a backend failure; the connection goes on if the rest of the payload can still be read. */
    private boolean fail(RuntimeException e, PayloadStream payload) throws IOException {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        boolean inSync = !payload.failed();
        if (inSync) {
            try {
                payload.finish();
            } catch (IOException drainFailure) {
                // The connection ends here: the client learns why too (a truncated or malformed request).
                inSync = false;
                message += "; and the rest of the request could not be read: " + drainFailure.getMessage();
            }
        }
        logger.stopWork(message);
        return inSync;
    }

    /** What is written after STDERR_LAST. */
    private interface Reply {
        void write(WireWriter w) throws IOException;
    }

    private static final Reply NOTHING = w -> { };
    private static final Reply ONE = w -> w.writeNum(1);

    private Reply perform(WorkerRequest req, PayloadStream payload) throws IOException {
        var paths = backends.pathInfo();
        return switch (req) {
            case IsValidPath r -> {
                boolean valid = paths.queryValidPaths(Set.of(r.path())).contains(r.path());
                yield w -> w.writeBool(valid);
            }
            case HasSubstitutes r -> {
                boolean has = backends.substitutions().querySubstitutablePaths(Set.of(r.path())).contains(r.path());
                yield w -> w.writeBool(has);
            }
            case QueryPathHash r -> {
                Hash h = validInfo(r.path()).narHash();
                yield w -> w.writeString(h.toBase16());
            }
            case QueryReferences r -> {
                SortedSet<StorePath> refs = validInfo(r.path()).references();
                yield w -> codec.writeStorePaths(w, refs);
            }
            case QueryReferrers r -> pathSet(paths.queryReferrers(r.path()));
            case QueryValidDerivers r -> pathSet(paths.queryValidDerivers(r.path()));
            case QueryAllValidPaths r -> pathSet(paths.queryAllValidPaths());
            case QueryValidPaths r -> pathSet(store.queryValidPaths(r.paths(), r.substitute()));
            case QuerySubstitutablePaths r -> pathSet(backends.substitutions().querySubstitutablePaths(r.paths()));
            case QueryDeriver r -> {
                Optional<StorePath> deriver = validInfo(r.path()).deriver();
                yield w -> codec.writeOptionalStorePath(w, deriver);
            }
            case QueryPathInfo r -> {
                Optional<PathInfo> info = paths.queryPathInfo(r.path());
                yield w -> {
                    w.writeBool(info.isPresent());
                    if (info.isPresent()) {
                        codec.writeUnkeyedPathInfo(w, info.get());
                    }
                };
            }
            case QueryPathFromHashPart r -> {
                Optional<StorePath> p = paths.queryPathFromHashPart(r.hashPart());
                yield w -> codec.writeOptionalStorePath(w, p);
            }
            case QueryDerivationOutputMap r -> {
                SortedMap<String, Optional<StorePath>> outputs = paths.queryDerivationOutputMap(r.drvPath());
                yield w -> codec.writeOutputMap(w, outputs);
            }
            case QueryDerivationOutputs r -> {
                SortedSet<StorePath> outs = new TreeSet<>();
                paths.queryDerivationOutputMap(r.drvPath()).values().forEach(o -> o.ifPresent(outs::add));
                yield pathSet(outs);
            }
            case QueryDerivationOutputNames r -> {
                List<String> names = List.copyOf(paths.queryDerivationOutputMap(r.drvPath()).keySet());
                yield w -> w.writeStrings(names);
            }
            case QuerySubstitutablePathInfo r -> {
                var info = Optional.ofNullable(backends.substitutions().querySubstitutablePathInfos(Set.of(r.path())).get(r.path()));
                yield w -> codec.writeSubstitutablePathInfo(w, info);
            }
            case QuerySubstitutablePathInfos r -> {
                var infos = backends.substitutions().querySubstitutablePathInfos(r.paths().keySet());
                yield w -> codec.writeSubstitutablePathInfos(w, infos);
            }
            case AddSignatures r -> {
                paths.addSignatures(r.path(), r.signatures());
                yield ONE;
            }
            case SetOptions r -> {
                options = r.options();
                yield NOTHING;
            }
            case AddToStore r -> {
                InputStream data = payload.stream();
                PathInfo info = backends.nars().addContentAddressed(this, r.name(), r.method(), r.hashAlgorithm(), r.references(),
                        data, r.repair() && caller.trusted());
                yield codec.version().atLeast(25) ? w -> codec.writePathInfo(w, info) : w -> codec.writeStorePath(w, info.path());
            }
            case AddTextToStore r -> {
                PathInfo info = backends.nars().addContentAddressed(this, r.name(), ContentAddressMethod.TEXT, HashAlgorithm.SHA256,
                        r.references(), new java.io.ByteArrayInputStream(r.text()), false);
                yield w -> codec.writeStorePath(w, info.path());
            }
            case AddToStoreNar r -> {
                store.addToStoreNar(r.info(), payload.stream(), r.repair(), r.dontCheckSigs());
                yield NOTHING;
            }
            case AddMultipleToStore r -> {
                addMultiple(payload.stream(), r.repair(), r.dontCheckSigs());
                yield NOTHING;
            }
            case ImportPaths r -> {
                List<StorePath> imported = store.importPaths(payload.stream(), in.limits());
                yield w -> w.writeStrings(imported.stream().map(storeDir::print).toList());
            }
            case NarFromPath r -> {
                store.validInfo(r.path());
                // As the daemon: STDERR_LAST, then the NAR raw. A failure after that can only close the
                // connection (Nix 2.8 hangs on an error frame here, which a daemon never sends).
                yield w -> store.narFromPath(r.path(), w.stream());
            }
            case ExportPath r -> {
                exportPath(r.path());
                yield ONE;
            }
            case BuildPaths r -> {
                List<String> failures = store.failures(build(r.paths(), r.mode()));
                if (!failures.isEmpty()) {
                    throw new StoreException(String.join("\n", failures));
                }
                yield ONE;
            }
            case BuildPathsWithResults r -> {
                List<KeyedBuildResult> results = build(r.paths(), r.mode());
                yield w -> codec.writeKeyedBuildResults(w, results);
            }
            case BuildDerivation r -> {
                var result = store.buildDerivation(r.drvPath(), r.derivation(), r.mode());
                yield w -> codec.writeBuildResult(w, result);
            }
            case EnsurePath r -> {
                backends.builds().ensurePath(this, r.path());
                yield ONE;
            }
            case QueryMissing r -> {
                var missing = new MissingPathsPlanner(backends.pathInfo(), backends.builds(), backends.substitutions(),
                        new KnownOutputs(storeDir, backends)).plan(r.targets());
                yield w -> codec.writeMissingPaths(w, missing);
            }
            case AddBuildLog r -> {
                if (!caller.trusted()) {
                    throw new StoreException("you are not privileged to add logs");
                }
                backends.builds().addBuildLog(r.drvPath(), payload.stream());
                yield ONE;
            }
            case RegisterDrvOutput r -> {
                backends.realisations().register(this, r.realisation());
                yield NOTHING;
            }
            case QueryRealisation r -> {
                Optional<Realisation> found = backends.realisations().query(r.id());
                yield w -> {
                    w.writeNum(found.isPresent() ? 1 : 0);
                    if (found.isPresent()) {
                        if (codec.version().atLeast(31)) {
                            codec.writeRealisation(w, found.get());
                        } else {
                            codec.writeStorePath(w, found.get().outPath());
                        }
                    }
                };
            }
            case AddTempRoot r -> {
                store.addTempRoot(r.path());
                yield ONE;
            }
            case AddIndirectRoot r -> {
                backends.roots().addIndirectRoot(this, r.link());
                yield ONE;
            }
            case AddPermRoot r -> {
                if (!caller.trusted()) {
                    throw new StoreException("you are not privileged to create perm roots");
                }
                String root = backends.roots().addPermRoot(this, r.path(), r.gcRoot());
                yield w -> w.writeString(root);
            }
            case SyncWithGc r -> ONE;
            case FindRoots r -> {
                List<Map.Entry<String, StorePath>> roots = backends.roots().findRoots(this);
                yield w -> {
                    w.writeNum(roots.size());
                    for (Map.Entry<String, StorePath> e : roots) {
                        w.writeString(e.getKey());
                        codec.writeStorePath(w, e.getValue());
                    }
                };
            }
            case CollectGarbage r -> {
                if (r.options().ignoreLiveness()) {
                    throw new StoreException("you are not allowed to ignore liveness");
                }
                if (r.options().action() == GcAction.DELETE_DEAD && !r.options().wholeStore()
                        && !codec.features().contains(WorkerCodec.FEATURE_DELETE_DEAD_SPECIFIC_REFERRERS)) {
                    throw new StoreException("Garbage collecting specific paths requested but it is not supported by the "
                            + "negotiated protocol");
                }
                var result = backends.roots().collectGarbage(this, r.options());
                yield w -> codec.writeGcResult(w, result);
            }
            case VerifyStore r -> {
                if (r.repair() && !caller.trusted()) {
                    throw new StoreException("you are not privileged to repair paths");
                }
                boolean errors = backends.roots().verifyStore(this, r.checkContents(), r.repair());
                yield w -> w.writeBool(errors);
            }
            case OptimiseStore r -> {
                backends.roots().optimiseStore(this);
                yield ONE;
            }
        };
    }

    private Reply pathSet(SortedSet<StorePath> set) {
        return w -> codec.writeStorePaths(w, set);
    }

    private PathInfo validInfo(StorePath path) {
        return store.validInfo(path);
    }

    /** Results name built outputs by their hash-keyed ids from 1.28, by name alone with the path feature. */
    private List<KeyedBuildResult> build(List<DerivedPath> targets, BuildMode mode) {
        return store.build(targets, mode, codec.version().atLeast(28)
                && !codec.features().contains(WorkerCodec.FEATURE_REALISATION_WITH_PATH));
    }

    /** AddMultipleToStore's framed stream: a count, then each path's info (at 1.16) and its NAR. */
    private void addMultiple(InputStream framed, boolean repair, boolean dontCheckSigs) throws IOException {
        WireReader r = new WireReader(framed, in.limits());
        WorkerCodec at16 = new WorkerCodec(storeDir, ProtocolVersion.of(16));
        long count = r.readNum(Integer.MAX_VALUE, "the number of paths");
        try (PathBatch batch = store.addPaths(repair, dontCheckSigs)) {
            for (long i = 0; i < count; i++) {
                PathInfo info = StoreOperations.withoutUltimate(at16.readPathInfo(r));
                LimitedInputStream nar = new LimitedInputStream(framed, info.narSize());
                batch.add(info, nar);
                if (nar.drain() != 0) {
                    throw new StoreException("the NAR of '" + storeDir.print(info.path()) + "' is longer than its declared size "
                            + info.narSize());
                }
            }
            batch.finish();
        }
    }

    /** ExportPath: the NAR and its metadata in export form, as STDERR_WRITE chunks. */
    private void exportPath(StorePath path) throws IOException {
        OutputStream toClient = new BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                logger.write(b, off, len);
            }
        }, 64 * 1024);
        store.exportPath(path, toClient);
        toClient.flush();
    }

    private PayloadStream openPayload(WorkerRequest req) throws IOException {
        return switch (req.payload()) {
            case NONE -> new PayloadStream(InputStream.nullInputStream(), null);
            case FRAMED -> new PayloadStream(new FramedInputStream(in), null);
            case PULLED -> {
                InputStream pulled = new PulledInputStream(in, logger);
                if (req instanceof AddToStoreNar a) {
                    pulled = new LimitedInputStream(pulled, a.info().narSize());
                }
                yield new PayloadStream(pulled, null);
            }
            case INLINE_NAR -> {
                // The NAR's end is only known by parsing it: spool it (bounded memory) before handing it on.
                Path spool = Files.createTempFile("cumulus-add", ".nar");
                try (OutputStream o = Files.newOutputStream(spool)) {
                    NarReader.read(new TeeInputStream(in.stream(), o), new dev.cumulus.model.nar.NarVisitor() { });
                } catch (IOException e) {
                    Files.deleteIfExists(spool);
                    throw e;
                }
                yield new PayloadStream(Files.newInputStream(spool), spool);
            }
        };
    }

    /** An operation's data, remembering whether reading it from the client failed (then the connection is lost). */
    private static final class PayloadStream {
        private final InputStream raw;
        private final Path spool;
        private boolean failed;
        private final InputStream guarded;

        PayloadStream(InputStream raw, Path spool) {
            this.raw = raw;
            this.spool = spool;
            this.guarded = new InputStream() {
                @Override
                public int read() throws IOException {
                    try {
                        return raw.read();
                    } catch (IOException e) {
                        failed = true;
                        throw e;
                    }
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return raw.read(b, off, len);
                    } catch (IOException e) {
                        failed = true;
                        throw e;
                    }
                }
            };
        }

        InputStream stream() {
            return guarded;
        }

        boolean failed() {
            return failed;
        }

        /** Reads what the backend left of a framed stream, so the next operation starts in the right place. */
        void finish() throws IOException {
            if (raw instanceof FramedInputStream f && !failed) {
                try {
                    f.drain();
                } catch (IOException e) {
                    failed = true;
                    throw e;
                }
            }
        }

        void cleanUp() throws IOException {
            if (spool != null) {
                raw.close();
                Files.deleteIfExists(spool);
            }
        }
    }
}
