package dev.cumulus.localstack;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * S3's object-created notifications, which S3Proxy lacks: every put, completed multipart upload and
 * copy is reported to the listeners (bucket, key) once the object is stored. Listeners run before
 * the request is answered, so a client that uploads in order is handled in order; what a listener
 * throws is logged, as S3 would not fail the upload either.
 */
final class ObjectCreatedEvents {
    private static final Logger LOG = Logger.getLogger(ObjectCreatedEvents.class.getName());
    private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();

    void add(BiConsumer<String, String> listener) {
        listeners.add(listener);
    }

    /** {@code store}, reporting what is created in it. */
    BlobStore wrap(BlobStore store) {
        return new Notifying(store);
    }

    private final class Notifying extends ForwardingBlobStore {
        Notifying(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream data) {
            PutObjectResponse r = super.putBlob(request, data);
            created(request.bucket(), request.key());
            return r;
        }

        @Override
        public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload, CompleteMultipartUploadRequest request) {
            CompleteMultipartUploadResponse r = super.completeMultipartUpload(upload, request);
            created(upload.containerName(), upload.blobName());
            return r;
        }

        @Override
        public CopyObjectResponse copyBlob(CopyObjectRequest request) {
            CopyObjectResponse r = super.copyBlob(request);
            created(request.destinationBucket(), request.destinationKey());
            return r;
        }
    }

    private void created(String bucket, String key) {
        for (BiConsumer<String, String> l : listeners) {
            try {
                l.accept(bucket, key);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "handling the creation of s3://" + bucket + "/" + key + " failed", e);
            }
        }
    }
}
