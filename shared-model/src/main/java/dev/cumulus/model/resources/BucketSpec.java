package dev.cumulus.model.resources;

/**
 * An S3 bucket laid out as a Nix binary cache: the store's ({@link CloudResources#STORE_BUCKET}),
 * or the one uploads land in ({@link CloudResources#UPLOADS_BUCKET}).
 *
 * @param abortIncompleteUploadsAfterDays multipart uploads a crashed proxy never finished or aborted
 *                                        are removed by the bucket's lifecycle rule after this long
 */
public record BucketSpec(String name, int abortIncompleteUploadsAfterDays) {

    public String physicalName(String prefix) {
        return prefix + name;
    }
}
