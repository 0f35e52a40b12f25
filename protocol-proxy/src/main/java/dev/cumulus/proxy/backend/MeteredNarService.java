package dev.cumulus.proxy.backend;

import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;

/**
 * A NAR service that reports how long each added path took, from the first byte of its NAR at the
 * proxy to the moment it is valid (its batch finished): the upload latency a client meets.
 */
public final class MeteredNarService implements NarService {
    private final NarService nars;
    private final Metrics metrics;

    public MeteredNarService(NarService nars, Metrics metrics) {
        this.nars = nars;
        this.metrics = metrics;
    }

    @Override
    public PathBatch addPaths(Session session, boolean repair, boolean checkSigs) {
        PathBatch batch = nars.addPaths(session, repair, checkSigs);
        return new PathBatch() {
            private final List<Long> started = new ArrayList<>();

            @Override
            public void add(PathInfo info, InputStream nar) {
                long start = System.nanoTime();
                batch.add(info, nar);
                started.add(start);
            }

            @Override
            public void finish() {
                batch.finish();
                long end = System.nanoTime();
                started.forEach(s -> metrics.observe(StoreMetrics.UPLOAD_SECONDS, (end - s) / 1e9));
                started.clear();
            }

            @Override
            public void close() {
                batch.close();
            }
        };
    }

    @Override
    public PathInfo addContentAddressed(Session session, String name, ContentAddressMethod method, HashAlgorithm hashAlgorithm,
                                        SortedSet<StorePath> references, InputStream data, boolean repair) {
        long start = System.nanoTime();
        PathInfo info = nars.addContentAddressed(session, name, method, hashAlgorithm, references, data, repair);
        metrics.observe(StoreMetrics.UPLOAD_SECONDS, (System.nanoTime() - start) / 1e9);
        return info;
    }

    @Override
    public void narFromPath(StorePath path, OutputStream out) {
        nars.narFromPath(path, out);
    }
}
