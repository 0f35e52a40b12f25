package dev.cumulus.model.resources;

/** The S3 bucket that holds NARs, narinfos, realisations and build logs: a Nix binary cache. */
public record BucketSpec(String name) {

    public String physicalName(String prefix) {
        return prefix + name;
    }
}
