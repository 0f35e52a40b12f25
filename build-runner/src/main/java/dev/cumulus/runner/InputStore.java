package dev.cumulus.runner;

import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.BuildEvents.InputNar;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.nar.NarUnpacker;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Store paths unpacked from the bucket into a local directory, kept across builds: a runner that
 * builds one package after another fetches each input once. A path is unpacked beside its place
 * and renamed into it only once its NAR hash checked out, so the cache never holds a partial path.
 */
final class InputStore {
    private final Path dir;
    private final Bucket bucket;
    private final StoreFunctionClient functions;
    private final StoreDir storeDir;
    private final Map<StorePath, Object> fetching = new ConcurrentHashMap<>();

    InputStore(Path dir, Bucket bucket, StoreFunctionClient functions, StoreDir storeDir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.bucket = bucket;
        this.functions = functions;
        this.storeDir = storeDir;
    }

    /**
     * Where {@code path} is on this machine, fetched first if needed: from {@code known} when the
     * build's message said where its NAR lies, else from where the store says. Different paths are
     * fetched side by side; one path once (a second build that needs it waits for the first's fetch).
     */
    Path materialise(StorePath path, Optional<InputNar> known) throws IOException {
        synchronized (fetching.computeIfAbsent(path, p -> new Object())) {
            Path target = dir.resolve(path.baseName());
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return target;
            }
            Optional<InputStream> stored = known.isPresent() ? bucket.open(known.get().nar().key()) : Optional.empty();
            InputNar nar = stored.isPresent() ? known.get() : ask(path);
            if (stored.isEmpty()) {
                stored = bucket.open(nar.nar().key());
            }
            fetch(path, nar, stored.orElseThrow(() -> new IOException("the NAR of '" + storeDir.print(path)
                    + "' is missing from the bucket: " + nar.nar().key())), target);
            return target;
        }
    }

    private InputNar ask(StorePath path) throws IOException {
        String printed = storeDir.print(path);
        PathInfoAnswer answer = functions.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(printed));
        if (answer.info() == null || answer.nar() == null) {
            throw new IOException("input '" + printed + "' is not valid in the store (or has no NAR in the bucket)");
        }
        return new InputNar(answer.info().narHash(), answer.nar());
    }

    /** Unpacks beside {@code target}, checks the NAR hash, then renames into place. */
    private void fetch(StorePath path, InputNar nar, InputStream compressed, Path target) throws IOException {
        String printed = storeDir.print(path);
        Hash expected = Hash.parseAny(nar.narHash());
        Path partial = dir.resolve(".partial-" + path.baseName());
        try (compressed; InputStream in = NarCompression.parse(nar.nar().compression()).decompress(compressed)) {
            delete(partial);
            HashSink hash = new HashSink(expected.algorithm());
            NarUnpacker.unpack(new TeeInputStream(in, hash), partial);
            Hash got = hash.finish();
            if (!got.equals(expected)) {
                throw new IOException("the NAR of '" + printed + "' in the bucket has hash " + got.toString(HashFormat.NIX32)
                        + ", not " + expected.toString(HashFormat.NIX32));
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            delete(partial);
        }
    }

    /** Deletes a tree; read-only directories (builders and unpacked store paths have them) are opened first. */
    static void delete(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(p)) {
            all = walk.toList();
        }
        all.stream().filter(each -> Files.isDirectory(each, LinkOption.NOFOLLOW_LINKS))
                .forEach(dir -> dir.toFile().setWritable(true));
        for (Path each : all.reversed()) {
            Files.delete(each);
        }
    }
}
