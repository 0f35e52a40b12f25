package dev.cumulus.aws;

import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.BucketUpload;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The store bucket on S3. Uploads stream as multipart uploads: parts of {@value #PART_SIZE} bytes
 * go up on their own threads, at most {@value #PARTS_IN_FLIGHT} at a time, so an upload of any size
 * holds at most {@code (PARTS_IN_FLIGHT + 1) × PART_SIZE} bytes. An upload smaller than one part is
 * a single PutObject.
 */
public final class S3Bucket implements Bucket {
    static final int PART_SIZE = 8 * 1024 * 1024;
    static final int PARTS_IN_FLIGHT = 4;

    private final S3Client s3;
    private final String bucket;

    public S3Bucket(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
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
        private byte[] buffer = new byte[64 * 1024];
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
                if (filled == buffer.length) {
                    if (buffer.length < PART_SIZE) {
                        buffer = Arrays.copyOf(buffer, Math.min(PART_SIZE, buffer.length * 4));
                    } else {
                        sendPart();
                    }
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
            parts.add(uploaders.submit(() -> {
                try {
                    String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(id).partNumber(number),
                            RequestBody.fromByteBuffer(java.nio.ByteBuffer.wrap(part, 0, length))).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                } finally {
                    inFlight.release();
                }
            }));
            buffer = new byte[PART_SIZE];
            filled = 0;
        }

        @Override
        public void commit() throws IOException {
            if (done) {
                throw new IOException("the upload of " + key + " is finished");
            }
            try {
                if (uploadId == null) {
                    put(key, Arrays.copyOf(buffer, filled), contentType);
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
                if (uploaders != null) {
                    uploaders.shutdown();
                }
            }
        }

        @Override
        public void close() throws IOException {
            buffer = null;
            if (done) {
                return;
            }
            done = true;
            if (uploadId != null) {
                parts.forEach(p -> p.cancel(true));
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
