package dev.cumulus.functions.lambda;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The part of an S3 event notification the ingest reads: which object was created in which bucket.
 * Keys arrive URL-encoded, as S3 sends them.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record S3Notification(@JsonProperty("Records") List<Record> records) {
    public S3Notification {
        records = records == null ? List.of() : List.copyOf(records);
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Record(String eventName, S3 s3) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record S3(Bucket bucket, S3Object object) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Bucket(String name) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record S3Object(String key) {}
}
