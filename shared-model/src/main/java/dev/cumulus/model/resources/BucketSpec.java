package dev.cumulus.model.resources;

/**
 * The S3 bucket that holds NARs, narinfos, realisations and build logs: a Nix binary cache.
 *
 * @param abortIncompleteUploadsAfterDays multipart uploads a crashed proxy never finished or aborted
 *                                        are removed by the bucket's lifecycle rule after this long
 */
public record BucketSpec(String name, int abortIncompleteUploadsAfterDays) {

    public String physicalName(String prefix) {
        return prefix + name;
    }
}
