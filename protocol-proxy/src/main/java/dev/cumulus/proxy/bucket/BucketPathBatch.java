package dev.cumulus.proxy.bucket;

import dev.cumulus.model.cache.NarUpload;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.RegistrationBatch;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.proxy.backend.NarService.PathBatch;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;

/**
 * Paths added to the bucket one after another, pipelined: while the client sends the next NAR,
 * the last ones' uploads finish on their own threads ({@value #STORES_IN_FLIGHT} at most), and
 * registration waits until as many paths have arrived as one registration commits in one transaction
 * ({@link RegistrationBatch}: {@value RegisterPaths#MAX_PATHS} items, with their references outside
 * it) or the batch ends, then registers them in one call, the store's signature included, and writes
 * their narinfos side by side, on a thread of its own while the next paths arrive. Registrations run
 * one after another in the order the paths arrived (references first), so every registration is
 * consistent on its own; one failed ends the batch, and the client hears of it at its next path or
 * at the end.
 *
 * <p>A path is registered only after its NAR object is complete, so the invariant holds at every
 * step: a valid path's NAR is wholly in the bucket. A NAR that fails its checks is aborted before
 * it is stored.
 */
final class BucketPathBatch implements PathBatch {
    static final int STORES_IN_FLIGHT = 4;
    /**
     * A NAR up to this size is uploaded even when its object is there already: the PUT costs what
     * asking would (a HEAD, on the client's critical path) and renews the object as a touch does.
     */
    static final long UPLOAD_WITHOUT_ASKING = 64 * 1024;

    /** A path taken: its info as signed, its NAR's object, when its writing began (epoch millis), and its upload. */
    private record Arrival(PathInfo signed, NarObject object, NewPath newPath, long writtenSince,
                           CompletableFuture<Void> stored) {}

    private final Bucket bucket;
    private final StoreFunctionClient functions;
    private final StoreDir storeDir;
    private final NarCompression compression;
    private final Optional<SecretKey> signingKey;
    private final Session session;
    private final boolean repair;
    private final boolean checkSigs;
    /** Told of each path registered here, with its info as stored and its NAR's object. */
    private final BiConsumer<PathInfo, NarObject> madeValid;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ArrayDeque<CompletableFuture<Void>> storing = new ArrayDeque<>();
    private List<Arrival> arrived = new ArrayList<>();
    /** The registration under way (at most one: the next waits for it), or the last one, done. */
    private CompletableFuture<Void> registering = CompletableFuture.completedFuture(null);
    /** What has arrived, as far as fitting one registration's transaction goes. */
    private final RegistrationBatch fitting = new RegistrationBatch();
    private boolean finished;

    BucketPathBatch(Bucket bucket, StoreFunctionClient functions, StoreDir storeDir, NarCompression compression,
                    Optional<SecretKey> signingKey, Session session, boolean repair, boolean checkSigs,
                    BiConsumer<PathInfo, NarObject> madeValid) {
        this.bucket = bucket;
        this.functions = functions;
        this.storeDir = storeDir;
        this.compression = compression;
        this.signingKey = signingKey;
        this.session = session;
        this.repair = repair;
        this.checkSigs = checkSigs;
        this.madeValid = madeValid;
    }

    @Override
    public void add(PathInfo info, InputStream nar) {
        if (finished) {
            throw new IllegalStateException("the batch is finished");
        }
        if (registering.isCompletedExceptionally()) {
            awaitRegistration(); // throws its failure: the paths after it cannot be registered
        }
        String printed = storeDir.print(info.path());
        if (info.narHash().algorithm() != HashAlgorithm.SHA256) {
            throw new StoreException("the NAR hash of '" + printed + "' must be sha256, not "
                    + info.narHash().algorithm().nixName());
        }
        if (!fitting.fits(info.path(), info.references())) {
            register();
        }
        fitting.add(info.path(), info.references());
        String key = BinaryCacheLayout.narKey(info.narHash(), compression);
        long activity = session.logger().startActivity(Stderr.LVL_TALKATIVE, Stderr.ACT_COPY_PATH,
                "storing '" + printed + "' in the bucket", List.of(printed, "", "s3"), 0);
        try {
            long writtenSince = System.currentTimeMillis(); // before the object is renewed or written
            boolean present = !repair && info.narSize() > UPLOAD_WITHOUT_ASKING && bucket.touch(key);
            NarUpload upload = NarUpload.read(bucket, key, !present, compression, nar, info.path().isDerivation(),
                    done -> session.logger().result(activity, Stderr.RES_PROGRESS, List.of(done, info.narSize(), 0L, 0L)));
            try {
                check(info, upload);
            } catch (RuntimeException e) {
                upload.close();
                throw e;
            }
            // Compression is deterministic, so when the object was there already it holds these very bytes.
            NarObject object = new NarObject(key, compression.nixName(), upload.fileHash().toString(HashFormat.NIX32),
                    upload.fileSize());
            PathInfo signed = info;
            List<String> ours = List.of();
            if (signingKey.isPresent() && info.signatures().stream().noneMatch(s -> s.keyName().equals(signingKey.get().name()))) {
                signed = info.sign(storeDir, signingKey.get());
                ours = List.of(signed.signatures().getLast().render());
            }
            NewPath newPath = new NewPath(PathInfoEvent.of(storeDir, info), object,
                    NewPath.derivationOutputs(storeDir, info.path(), upload.rootFile().orElse(null)), ours);
            arrived.add(new Arrival(signed, object, newPath, writtenSince, store(upload)));
        } catch (IOException e) {
            throw new StoreException("storing the NAR of '" + printed + "': " + e.getMessage(), e);
        } finally {
            session.logger().stopActivity(activity);
        }
    }

    private void check(PathInfo info, NarUpload upload) {
        if (!upload.narHash().equals(info.narHash())) {
            throw new StoreException("hash mismatch importing path '" + storeDir.print(info.path()) + "';\n  specified: "
                    + info.narHash().toString(HashFormat.NIX32) + "\n  got:       "
                    + upload.narHash().toString(HashFormat.NIX32));
        }
        if (upload.narSize() != info.narSize()) {
            throw new StoreException("size mismatch importing path '" + storeDir.print(info.path()) + "';\n  specified: "
                    + info.narSize() + "\n  got:       " + upload.narSize());
        }
    }

    /** Commits the upload on its own thread, after waiting for the oldest when too many are on their way. */
    private CompletableFuture<Void> store(NarUpload upload) {
        while (storing.size() >= STORES_IN_FLIGHT) {
            storing.removeFirst().exceptionally(e -> null).join(); // its failure is reported when its path registers
        }
        CompletableFuture<Void> stored = CompletableFuture.runAsync(() -> {
            try (upload) {
                upload.commit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, threads);
        storing.addLast(stored);
        return stored;
    }

    @Override
    public void finish() {
        finished = true;
        register();
        awaitRegistration();
    }

    /**
     * Starts registering what has arrived, after the registration under way (whose failure this
     * throws): the one under way overlaps the arrival of the next paths, and no more.
     */
    private void register() {
        awaitRegistration();
        List<Arrival> batch = arrived;
        arrived = new ArrayList<>();
        fitting.clear();
        if (!batch.isEmpty()) {
            registering = CompletableFuture.runAsync(() -> register(batch), threads);
        }
    }

    private void awaitRegistration() {
        try {
            registering.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new StoreException(e.getCause().getMessage(), e.getCause());
        }
    }

    /** Registers {@code batch}: once all its NARs are stored, in one call; then writes the narinfos. */
    private void register(List<Arrival> batch) {
        for (Arrival a : batch) {
            try {
                a.stored().join();
            } catch (CompletionException e) {
                throw new StoreException("storing the NAR of '" + storeDir.print(a.signed().path()) + "': "
                        + e.getCause().getMessage(), e.getCause());
            }
        }
        Registered registered = call(() -> functions.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(session.caller().trusted(), checkSigs, batch.stream().map(Arrival::newPath).toList(),
                        session.connectionId(), batch.stream().mapToLong(Arrival::writtenSince).min().orElseThrow())));
        // A path that was valid already has its narinfo.
        Set<String> fresh = new HashSet<>(registered.registered());
        Map<String, PathInfoEvent> stored = new HashMap<>();
        registered.infos().forEach(i -> stored.put(i.path(), i));
        List<CompletableFuture<Void>> narInfos = new ArrayList<>();
        for (Arrival a : batch) {
            String printed = storeDir.print(a.signed().path());
            if (fresh.contains(printed)) {
                narInfos.add(CompletableFuture.runAsync(() -> writeNarInfo(a), threads));
                Optional.ofNullable(stored.get(printed)).ifPresent(i -> madeValid.accept(i.toPathInfo(storeDir), a.object()));
            }
        }
        try {
            CompletableFuture.allOf(narInfos.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw new StoreException(e.getCause().getMessage(), e.getCause());
        }
    }

    private void writeNarInfo(Arrival a) {
        NarInfo narInfo = a.object().narInfo(a.signed());
        try {
            BinaryCacheLayout.putNarInfo(bucket, storeDir, narInfo);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the narinfo of '" + storeDir.print(a.signed().path()) + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * Ends the batch. Unfinished (the client's stream broke or a NAR failed), the paths that arrived
     * whole before the break are still registered; a failure to do so is not the client's error to
     * hear, since it already has one. Waits for every upload to be committed or aborted.
     */
    @Override
    public void close() {
        try {
            if (!finished) {
                finished = true;
                try {
                    register();
                    awaitRegistration();
                } catch (RuntimeException e) {
                    System.getLogger(BucketPathBatch.class.getName()).log(System.Logger.Level.DEBUG,
                            "registering the paths that arrived before the batch broke", e);
                }
            }
        } finally {
            threads.close();
        }
    }
}
