package dev.cumulus.model.event;

import java.util.List;
import java.util.Map;

/**
 * The events of build graphs: a submission names a derivation in the store and the outputs wanted;
 * the functions build its graph (inputs first, valid outputs skipped, substitutable ones fetched)
 * and announce the end.
 */
public final class GraphEvents {
    private GraphEvents() {}

    /** Where a submission came from: an event (queue or EventBridge), a connected client, {@code cumulus build}. */
    public static final String FROM_EVENT = "event";
    public static final String FROM_CLIENT = "client";

    /**
     * Builds {@code drvPath}'s {@code outputs} ({@code ["*"]}: all; empty: all) and what they need.
     * {@code id} is chosen by the submitter or, when null, by the store; {@code source} is
     * {@link #FROM_EVENT} (the default: the graph completes whoever waits) or {@link #FROM_CLIENT}
     * (abandoned when its client hangs up); the limits are the client's, 0 for the store's.
     */
    public record SubmitGraph(String id, String drvPath, List<String> outputs, String source, long timeoutSeconds,
                              long maxSilentSeconds) {
        public SubmitGraph {
            outputs = outputs == null ? List.of() : List.copyOf(outputs);
        }

        /** As the {@code build-submissions} queue and the EventBridge rule take it: {@code {"drvPath", "outputs"}}. */
        public static SubmitGraph ofEvent(String id, String drvPath, List<String> outputs) {
            return new SubmitGraph(id, drvPath, outputs, FROM_EVENT, 0, 0);
        }
    }

    public record SubmissionQuery(String id) {}

    /** The client that submitted hung up: steps no other submission needs are cancelled. */
    public record AbandonSubmission(String id) {}

    /** A step of the graph being built now: its derivation and its build. */
    public record BuildingStep(String drvPath, String build) {}

    /**
     * A submission: {@code running} or ended with a status ({@code built}, {@code failed},
     * {@code dependency-failed}, {@code timed-out}, {@code cancelled}); the step that failed, its
     * error, its build's status as Nix names it, where its log lies in the bucket and its build (for
     * {@code query-build}); the wanted outputs' paths; the steps building now.
     */
    public record SubmissionState(String id, String drvPath, List<String> outputs, String state, String status,
                                  String error, String failingStep, String failingStatus, String failingLog,
                                  String failingBuild, Map<String, String> outputPaths, List<BuildingStep> building, long submittedAt,
                                  long stopTime) {
        public static final String RUNNING = "running";
        public static final String ENDED = "ended";
        public static final String BUILT = "built";
        public static final String FAILED = "failed";
        public static final String DEPENDENCY_FAILED = "dependency-failed";
        public static final String TIMED_OUT = "timed-out";
        public static final String CANCELLED = "cancelled";

        public SubmissionState {
            outputs = outputs == null ? List.of() : List.copyOf(outputs);
            outputPaths = outputPaths == null ? Map.of() : Map.copyOf(outputPaths);
            building = building == null ? List.of() : List.copyOf(building);
        }

        public boolean finished() {
            return ENDED.equals(state);
        }
    }

    /**
     * What the {@code build-events} queue carries (and, in AWS, a {@code Cumulus Build Finished}
     * event's detail): one per submission, when it ends.
     */
    public record BuildFinished(String submission, String drvPath, String status, Map<String, String> outputs,
                                String failingStep, String log, String failingBuild, String error, long submittedAt,
                                long stopTime) {
        public BuildFinished {
            outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
        }

        public static BuildFinished of(SubmissionState s) {
            return new BuildFinished(s.id(), s.drvPath(), s.status(), s.outputPaths(), s.failingStep(), s.failingLog(),
                    s.failingBuild(), s.error(), s.submittedAt(), s.stopTime());
        }
    }
}
