package dev.cumulus.model.build;

import dev.cumulus.model.event.NarObject;
import java.util.List;

/**
 * What a runner reports when a build ends. On success each output of the request is listed with
 * its final path, its NAR's hash and size, where the NAR lies in the bucket, its content address
 * (content-addressed outputs) and the indices of the request's {@code refscanNeedles} found in it.
 * On failure {@code status} says how (Nix's names: PermanentFailure, TimedOut, ...) and
 * {@code error} why; the log's tail is in the build's log.
 */
public record BuildReport(String build, String status, String error, List<BuiltOutput> outputs, long startTime,
                          long stopTime) {

    public BuildReport {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
    }

    public boolean succeeded() {
        return "Built".equals(status);
    }

    /**
     * {@code scratchPath} is the request's output path, {@code path} the final one; {@code references}
     * are the paths the found needles stand for (outputs by their final paths); {@code signatures}
     * the store's signatures of the path, when the runner holds the store's key.
     */
    public record BuiltOutput(String scratchPath, String path, String narHash, long narSize, NarObject nar, String ca,
                              List<Integer> needles, List<String> references, List<String> signatures) {
        public BuiltOutput {
            needles = List.copyOf(needles);
            references = List.copyOf(references);
            signatures = signatures == null ? List.of() : List.copyOf(signatures);
        }
    }
}
