package dev.cumulus.functions.tables;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/** Work over many items a chunk at a time, several chunks at once: the tables' batch calls, a collection's files. */
public final class ChunkedWork {
    private ChunkedWork() {}

    /**
     * {@code each} over {@code items} in chunks of {@code size}, at most {@code atOnce} chunks at a
     * time, their results in order; a single chunk runs on the calling thread. {@code what} names the
     * call in errors.
     */
    public static <T, R> List<R> inChunks(List<T> items, int size, int atOnce, String what,
                                           Function<List<T>, List<R>> each) {
        if (items.isEmpty()) {
            return List.of();
        }
        if (items.size() <= size) {
            return each.apply(items);
        }
        Semaphore slots = new Semaphore(atOnce);
        List<Future<List<R>>> chunks = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int from = 0; from < items.size(); from += size) {
                List<T> chunk = items.subList(from, Math.min(items.size(), from + size));
                chunks.add(threads.submit(() -> {
                    slots.acquireUninterruptibly();
                    try {
                        return each.apply(chunk);
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<R> results = new ArrayList<>();
            for (Future<List<R>> f : chunks) {
                results.addAll(f.get());
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
