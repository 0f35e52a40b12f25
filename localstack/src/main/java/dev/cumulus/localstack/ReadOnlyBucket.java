package dev.cumulus.localstack;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import org.gaul.s3proxy.S3ErrorCode;
import org.gaul.s3proxy.S3ProxyException;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;

/**
 * A view of a blob store in which one bucket can be read but not changed: what the published S3
 * endpoint of the local stack gives its users for the store bucket, as IAM and the bucket policy
 * do in AWS (only Cumulus's own roles write there; uploads go to the uploads bucket). Reads are
 * named; every other operation on that bucket, including any this S3Proxy version adds, is refused
 * with S3's AccessDenied.
 */
final class ReadOnlyBucket {
    private static final Set<String> READS = Set.of("close", "list", "listV1", "headBucket", "containerExists",
            "getContainerAccess", "getContainerAcl", "blobExists", "blobMetadata", "blobMetadataIfPresent", "getBlob",
            "supportsVersioning", "getBucketVersioning", "listVersions", "supportsBucketEncryption", "getBucketEncryption",
            "supportsServerSideEncryption", "getBlobAccess", "getBlobAcl", "supportsCopyMultipartPart",
            "listMultipartUpload", "listMultipartUploads", "getMinimumMultipartPartSize",
            "hashCode", "equals", "toString");

    private ReadOnlyBucket() {}

    static BlobStore wrap(BlobStore store, String bucket) {
        return (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class},
                (proxy, method, args) -> {
                    if (!READS.contains(method.getName()) && args != null && args.length > 0
                            && bucket.equals(bucketOf(args[0]))) {
                        throw new S3ProxyException(S3ErrorCode.ACCESS_DENIED, "bucket '" + bucket
                                + "' is written by Cumulus alone; upload binary caches to the uploads bucket");
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The bucket an operation changes: its first argument's, as a name, an upload or an SDK request. */
    private static String bucketOf(Object first) {
        if (first instanceof String name) {
            return name;
        }
        if (first instanceof MultipartUpload upload) {
            return upload.containerName();
        }
        for (String accessor : new String[] {"destinationBucket", "bucket"}) {
            try {
                Method m = first.getClass().getMethod(accessor);
                return (String) m.invoke(first);
            } catch (ReflectiveOperationException | ClassCastException e) {
                // not this accessor
            }
        }
        return null;
    }
}
