package dev.cumulus.proxy;

import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildMode;
import dev.cumulus.model.wire.BuildResult;
import dev.cumulus.model.wire.ClientOptions;
import dev.cumulus.model.wire.KeyedBuildResult;
import dev.cumulus.model.wire.ProtocolVersion;
import dev.cumulus.model.wire.ServeBuildOptions;
import dev.cumulus.model.wire.ServeCodec;
import dev.cumulus.model.wire.ServeCommand;
import dev.cumulus.model.wire.ServeHandshake;
import dev.cumulus.model.wire.ServeRequest.*;
import dev.cumulus.model.wire.ServeRequest;
import dev.cumulus.model.wire.ServeRequestReader;
import dev.cumulus.model.wire.WireFormatException;
import dev.cumulus.proxy.backend.Caller;
import dev.cumulus.proxy.backend.ClientLogger;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client speaking the serve protocol, as {@code nix-store --serve [--write]} serves the
 * {@code ssh://} store, Nix's build hook and {@code nix-copy-closure}: each command is decoded,
 * performed through the same {@link StoreOperations} as the worker protocol, and answered in the
 * client's version. The protocol has no error frame: as with {@code nix-store}, an error is
 * written to stderr and ends the connection with status 1.
 */
public final class ServeConnection extends ClientConnection {
    private static final Logger LOG = Logger.getLogger(ServeConnection.class.getName());

    private final boolean writeAllowed;
    private final ServeLogger logger;
    private ServeCodec codec;
    /** The command being served, for counting it if it fails. */
    private ServeCommand serving;

    /** A connection of a transport configured by {@code config}, counting failed commands in its metrics. */
    public ServeConnection(ProxyConfig config, Caller caller, boolean writeAllowed, InputStream in, OutputStream out,
                           OutputStream err) {
        super(config, caller, in, out);
        this.writeAllowed = writeAllowed;
        this.logger = new ServeLogger(err);
    }

    @Override
    public ClientLogger logger() {
        return logger;
    }

    /** Serves until the client hangs up (0) or an error ends the connection (1, the error told on stderr); never throws. */
    public int run() {
        try {
            ProtocolVersion version = ServeHandshake.accept(in, out, ServeCodec.NEWEST);
            codec = new ServeCodec(storeDir, version);
            opened();
            ServeRequestReader requests = new ServeRequestReader(codec);
            for (OptionalLong cmdId; (cmdId = in.readNumOrEnd()).isPresent(); ) {
                long n = cmdId.getAsLong();
                ServeCommand command = ServeCommand.byId(n)
                        .orElseThrow(() -> new WireFormatException("unknown serve command " + Long.toUnsignedString(n)));
                if (command.needsWrite() && !writeAllowed) {
                    // Nix's words: the client asked a read-only 'nix-store --serve' (no --write) to change the store.
                    throw new StoreException(command == ServeCommand.BUILD_PATHS || command == ServeCommand.BUILD_DERIVATION
                            ? "building paths is not allowed" : "importing paths is not allowed");
                }
                serving = command;
                perform(requests.read(command, in));
                out.flush();
                serving = null;
            }
            return 0;
        } catch (WireFormatException e) {
            return fail("protocol error: " + e.getMessage(), e, Level.FINE);
        } catch (StoreException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            return fail(e.getMessage(), e, Level.FINE);
        } catch (IOException | UncheckedIOException e) {
            return fail(e.getMessage(), e, Level.FINE);
        } catch (RuntimeException e) {
            return fail(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), e, Level.WARNING);
        } finally {
            closed();
        }
    }

    private int fail(String message, Exception e, Level level) {
        metrics.count(StoreMetrics.ERRORS, 1, serving == null ? "serve protocol" : "serve " + serving.displayName());
        LOG.log(level, "serve connection " + connectionId() + " (" + caller.name() + ") ended: " + message, level == Level.WARNING ? e : null);
        logger.line("error: " + message);
        return 1;
    }

    private void perform(ServeRequest req) throws IOException {
        switch (req) {
            case QueryValidPaths r -> {
                if (r.lock() && writeAllowed) {
                    r.paths().forEach(store::addTempRoot);
                }
                codec.writeStorePaths(out, store.queryValidPaths(r.paths(), r.substitute() && writeAllowed));
            }
            case QueryPathInfos r -> {
                for (StorePath p : r.paths()) {
                    Optional<PathInfo> info = store.queryPathInfo(p);
                    if (info.isPresent()) {
                        codec.writeStorePath(out, p);
                        codec.writeUnkeyedPathInfo(out, info.get());
                    }
                }
                out.writeString("");
            }
            case DumpStorePath r -> store.narFromPath(r.path(), out.stream());
            case ImportPaths r -> {
                store.importPaths(in.stream(), in.limits());
                out.writeNum(1);
            }
            case ExportPaths r -> store.exportPaths(r.paths(), out.stream());
            case BuildPaths r -> {
                useBuildOptions(r.options());
                List<KeyedBuildResult> results = store.build(r.paths(), BuildMode.NORMAL, false);
                Optional<BuildResult> failed = results.stream().map(KeyedBuildResult::result).filter(b -> !b.isSuccess()).findFirst();
                if (failed.isEmpty()) {
                    out.writeNum(0);
                } else {
                    // The client reads a build status (any failure one makes it read the message), not
                    // the exit status Nix's server writes, which a client can take for "substituted".
                    out.writeNum(failed.get().status().code());
                    out.writeString(String.join("\n", store.failures(results)));
                }
            }
            case QueryClosure r -> codec.writeStorePaths(out, store.closure(r.paths(), r.includeOutputs()));
            case BuildDerivation r -> {
                useBuildOptions(r.options());
                codec.writeBuildResult(out, store.buildDerivation(r.drvPath(), r.derivation(), BuildMode.NORMAL));
            }
            case AddToStoreNar r -> {
                LimitedInputStream nar = new LimitedInputStream(in.stream(), r.info().narSize());
                // As nix-store --serve, which adds without checking signatures: only a trusted caller is believed.
                store.addToStoreNar(r.info(), nar, false, true);
                if (nar.drain() != 0) {
                    throw new StoreException("the NAR of '" + storeDir.print(r.info().path()) + "' is longer than its declared size "
                            + r.info().narSize());
                }
                out.writeNum(1);
            }
        }
    }

    /**
     * A build's limits as the serve protocol sends them, in the form the build service reads from
     * a worker connection's options: the silence limit, and the overall timeout as the
     * {@code timeout} setting. Repeated builds are refused, as Nix refuses them.
     */
    private void useBuildOptions(ServeBuildOptions o) {
        if (o.nrRepeats() != 0) {
            throw new StoreException("client requested repeating builds, but this is not currently implemented");
        }
        ClientOptions d = ClientOptions.defaults();
        TreeMap<String, String> overrides = new TreeMap<>();
        if (o.buildTimeout() > 0) {
            overrides.put("timeout", Long.toString(o.buildTimeout()));
        }
        options = new ClientOptions(o.keepFailed(), d.keepGoing(), d.tryFallback(), d.verbosity(), d.maxBuildJobs(), o.maxSilentTime(),
                d.obsoleteUseBuildHook(), d.verboseBuild(), d.obsoleteLogType(), d.obsoletePrintBuildTrace(), d.buildCores(),
                false, overrides);
    }
}
