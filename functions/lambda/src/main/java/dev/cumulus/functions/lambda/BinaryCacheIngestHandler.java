package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.BinaryCacheIngest;
import dev.cumulus.functions.BinaryCacheIngest.Outcome;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code binary-cache-ingest} function: the uploads bucket's object-created notifications, each
 * object handed to {@link BinaryCacheIngest}. When a path had to wait for a reference, the
 * invocation fails after handling every record, so Lambda delivers the event again later (its
 * asynchronous retries); records handled already are then ignored (their uploads are gone).
 */
@Named("binary-cache-ingest")
public class BinaryCacheIngestHandler implements RequestHandler<S3Notification, BinaryCacheIngestHandler.Report> {
    /** What became of each record's object, in order: {@code key: outcome}. */
    public record Report(List<String> outcomes) {}

    @Inject
    BinaryCacheIngest ingest;

    @Override
    public Report handleRequest(S3Notification event, Context context) {
        List<String> outcomes = new ArrayList<>();
        List<String> deferred = new ArrayList<>();
        for (S3Notification.Record r : event.records()) {
            if (r.s3() == null || r.s3().object() == null || r.s3().object().key() == null) {
                throw new IllegalArgumentException("an S3 notification record without an object key");
            }
            String key = URLDecoder.decode(r.s3().object().key(), StandardCharsets.UTF_8);
            Outcome outcome;
            try {
                outcome = ingest.objectCreated(key);
            } catch (IOException e) {
                throw new UncheckedIOException("ingesting " + key + ": " + e.getMessage(), e);
            }
            outcomes.add(key + ": " + outcome);
            if (outcome instanceof Outcome.Deferred d) {
                deferred.add(key + " (" + d.reason() + ")");
            }
        }
        if (!deferred.isEmpty()) {
            throw new IllegalStateException("deferred until their references are valid, to be retried: "
                    + String.join("; ", deferred));
        }
        return new Report(outcomes);
    }
}
