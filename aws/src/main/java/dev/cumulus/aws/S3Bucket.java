package dev.cumulus.aws;

import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.BucketUpload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The store bucket on S3. Uploads stream as multipart uploads: parts of {@value #PART_SIZE} bytes
 * go up on their own threads, at most {@value #PARTS_IN_FLIGHT} at a time per upload. An upload
 * smaller than one part is a single PutObject.
 *
 * <p>Part buffers come from one pool of {@value #BUFFERED_PARTS} for all uploads through this
 * bucket, reused rather than allocated per part: however many connections upload at once, parts
 * hold at most {@code BUFFERED_PARTS × PART_SIZE} bytes, and a writer that finds the pool empty
 * waits for a part to finish (back-pressure onto the client's socket). Every upload holds one
 * buffer while it fills and each part in flight holds its own, and parts in flight always finish,
 * so waiting for a buffer cannot deadlock.
 */
public final class S3Bucket implements Bucket {
    static final int PART_SIZE = 8 * 1024 * 1024;
    static final int PARTS_IN_FLIGHT = 4;
    static final int BUFFERED_PARTS = 12;
    static final java.time.Duration TOUCH_FRESH = java.time.Duration.ofMinutes(5);
    private static final long MAX_COPY_SIZE = 5L << 30;

    private final S3Client s3;
    private final String bucket;
    private final Semaphore freeBuffers = new Semaphore(BUFFERED_PARTS);
    private final ConcurrentLinkedQueue<byte[]> pooled = new ConcurrentLinkedQueue<>();

    public S3Bucket(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    private byte[] takeBuffer(String key) throws InterruptedIOException {
        try {
            freeBuffers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a buffer to upload " + key);
        }
        byte[] b = pooled.poll();
        return b != null ? b : new byte[PART_SIZE];
    }

    private void giveBack(byte[] buffer) {
        pooled.offer(buffer);
        freeBuffers.release();
    }

    /** A request body over part of a buffer: the SDK's byte-array bodies copy it, this one reads it in place. */
    private static RequestBody body(byte[] buffer, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length,
                "application/octet-stream");
    }

    public String name() {
        return bucket;
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        try {
            return Optional.of(s3.getObject(b -> b.bucket(bucket).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new IOException("reading s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            return OptionalLong.of(s3.headObject(b -> b.bucket(bucket).key(key)).contentLength());
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return OptionalLong.empty();
            }
            throw new IOException("looking up s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("looking up s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void put(String key, byte[] content, String contentType) throws IOException {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType), RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw new IOException("writing s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw new IOException("deleting s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    /** DeleteObjects, 1,000 keys a request (S3's limit); a key S3 could not remove is an error naming it. */
    @Override
    public void deleteAll(java.util.Collection<String> keys) throws IOException {
        List<String> all = new ArrayList<>(keys);
        for (int from = 0; from < all.size(); from += DELETE_LIMIT) {
            List<ObjectIdentifier> chunk = all.subList(from, Math.min(all.size(), from + DELETE_LIMIT)).stream()
                    .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
            try {
                var response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(chunk).quiet(true)));
                if (response.hasErrors() && !response.errors().isEmpty()) {
                    var first = response.errors().getFirst();
                    throw new IOException("deleting s3://" + bucket + "/" + first.key() + ": " + first.code() + " "
                            + first.message() + " (and " + (response.errors().size() - 1) + " more)");
                }
            } catch (SdkException e) {
                throw new IOException("deleting " + chunk.size() + " objects of s3://" + bucket + ": " + e.getMessage(), e);
            }
        }
    }

    private static final int DELETE_LIMIT = 1000;

    @Override
    public void list(String prefix, IOConsumer<StoredObject> each) throws IOException {
        try {
            for (var page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))) {
                for (var o : page.contents()) {
                    each.accept(new StoredObject(o.key(), o.size(), o.lastModified()));
                }
            }
        } catch (SdkException e) {
            throw new IOException("listing s3://" + bucket + "/" + prefix + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy of the object onto itself renews its modification time. Objects touched in the last
     * {@link #TOUCH_FRESH} are left as they are (one HEAD), and so are objects larger than one
     * CopyObject can copy (5 GiB); those rely on the collector's grace period alone.
     */
    @Override
    public boolean touch(String key) throws IOException {
        try {
            var head = s3.headObject(b -> b.bucket(bucket).key(key));
            if (head.lastModified().isAfter(java.time.Instant.now().minus(TOUCH_FRESH))
                    || head.contentLength() > MAX_COPY_SIZE) {
                return true;
            }
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(key).destinationBucket(bucket).destinationKey(key)
                    .metadataDirective(MetadataDirective.REPLACE).contentType(head.contentType())
                    .metadata(java.util.Map.of("touched", java.time.Instant.now().toString())));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw new IOException("touching s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("touching s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public BucketUpload upload(String key, String contentType) {
        return new MultipartUpload(key, contentType);
    }

    private final class MultipartUpload extends BucketUpload {
        private final String key;
        private final String contentType;
        private final Semaphore inFlight = new Semaphore(PARTS_IN_FLIGHT);
        private final List<Future<CompletedPart>> parts = new ArrayList<>();
        private ExecutorService uploaders;
        private String uploadId;
        private byte[] buffer;
        private int filled;
        private long size;
        private boolean done;

        MultipartUpload(String key, String contentType) {
            this.key = key;
            this.contentType = contentType;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (done) {
                throw new IOException("the upload of " + key + " is finished");
            }
            size += len;
            while (len > 0) {
                if (buffer == null) {
                    buffer = takeBuffer(key);
                } else if (filled == buffer.length) {
                    sendPart();
                    buffer = takeBuffer(key);
                }
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public long size() {
            return size;
        }

        private void sendPart() throws IOException {
            try {
                if (uploadId == null) {
                    uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)).uploadId();
                    uploaders = Executors.newVirtualThreadPerTaskExecutor();
                }
                inFlight.acquire();
            } catch (SdkException e) {
                throw new IOException("starting the upload of s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted uploading " + key);
            }
            byte[] part = buffer;
            int length = filled;
            int number = parts.size() + 1;
            String id = uploadId;
            buffer = null;
            filled = 0;
            parts.add(uploaders.submit(() -> {
                try {
                    String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(number),
                            body(part, length)).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                } finally {
                    giveBack(part);
                    inFlight.release();
                }
            }));
        }

        @Override
        public void commit() throws IOException {
            if (done) {
                throw new IOException("the upload of " + key + " is finished");
            }
            try {
                if (uploadId == null) {
                    try {
                        s3.putObject(b -> b.bucket(bucket).key(key).contentType(contentType),
                                buffer == null ? RequestBody.empty() : body(buffer, filled));
                    } finally {
                        releaseBuffer();
                    }
                } else {
                    if (filled > 0) {
                        sendPart();
                    }
                    List<CompletedPart> completed = new ArrayList<>();
                    for (Future<CompletedPart> f : parts) {
                        completed.add(f.get());
                    }
                    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                            .multipartUpload(m -> m.parts(completed)));
                }
                done = true;
            } catch (ExecutionException e) {
                throw new IOException("uploading a part of s3://" + bucket + "/" + key + ": " + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted uploading " + key);
            } catch (SdkException e) {
                throw new IOException("completing the upload of s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
            } finally {
                releaseBuffer();
                if (uploaders != null) {
                    uploaders.shutdown();
                }
            }
        }

        private void releaseBuffer() {
            if (buffer != null) {
                giveBack(buffer);
                buffer = null;
            }
        }

        @Override
        public void close() throws IOException {
            releaseBuffer();
            if (done) {
                return;
            }
            done = true;
            if (uploadId != null) {
                // Interrupting, not cancelling: a part cancelled before it ran would never give its buffer back.
                uploaders.shutdownNow();
                try {
                    s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
                } catch (SdkException e) {
                    // The bucket's lifecycle rule (BucketSpec) removes incomplete uploads later anyway.
                    throw new IOException("aborting the upload of s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
