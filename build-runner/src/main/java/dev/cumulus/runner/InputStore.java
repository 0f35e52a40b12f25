package dev.cumulus.runner;

import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.NarObject;
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

    InputStore(Path dir, Bucket bucket, StoreFunctionClient functions, StoreDir storeDir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.bucket = bucket;
        this.functions = functions;
        this.storeDir = storeDir;
    }

    /** Where {@code path} is on this machine, fetched first if needed. */
    synchronized Path materialise(StorePath path) throws IOException {
        Path target = dir.resolve(path.baseName());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return target;
        }
        String printed = storeDir.print(path);
        PathInfoAnswer answer = functions.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(printed));
        if (answer.info() == null || answer.nar() == null) {
            throw new IOException("input '" + printed + "' is not valid in the store (or has no NAR in the bucket)");
        }
        NarObject nar = answer.nar();
        Hash expected = Hash.parseAny(answer.info().narHash());
        Path partial = dir.resolve(".partial-" + path.baseName());
        delete(partial);
        try (InputStream compressed = bucket.open(nar.key())
                .orElseThrow(() -> new IOException("the NAR of '" + printed + "' is missing from the bucket: " + nar.key()));
             InputStream in = NarCompression.parse(nar.compression()).decompress(compressed)) {
            HashSink hash = new HashSink(expected.algorithm());
            NarUnpacker.unpack(new TeeInputStream(in, hash), partial);
            Hash got = hash.finish();
            if (!got.equals(expected)) {
                throw new IOException("the NAR of '" + printed + "' in the bucket has hash " + got.toString(HashFormat.NIX32)
                        + ", not " + expected.toString(HashFormat.NIX32));
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
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
