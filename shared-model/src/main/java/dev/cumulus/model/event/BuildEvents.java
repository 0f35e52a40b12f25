package dev.cumulus.model.event;

import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.build.BuildRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** The requests and responses of the build functions. Paths are full store paths. */
public final class BuildEvents {
    private BuildEvents() {}

    /**
     * Build a derivation. {@code derivation} is its ATerm (a BuildDerivation's basic derivation, or
     * the {@code .drv}'s contents); {@code inputs} the store paths it needs (its input sources and its
     * input derivations' outputs, resolved by the caller); {@code outputHashes} each output's hash
     * modulo ({@code sha256:…}), for the realisations of content-addressed outputs; the limits as
     * the client's settings say; {@code source} {@code client} when a connected client waits for it
     * (built ahead of the rest when its pool is busy), {@code event} for a batch build.
     */
    public record SubmitBuild(String drvPath, String derivation, List<String> inputs, Map<String, String> outputHashes,
                              long timeoutSeconds, long maxSilentSeconds, String source) {
        public SubmitBuild {
            inputs = inputs == null ? List.of() : List.copyOf(inputs);
            outputHashes = outputHashes == null ? Map.of() : Map.copyOf(outputHashes);
        }
    }

    /** A build's state and the log lines from {@code logFrom} on (0: from the start). */
    public record BuildQuery(String id, long logFrom) {}

    /**
     * Several builds' states in one call, as a proxy watching all its clients' builds asks. A
     * build's log lines from its {@code logFrom} are read only when it has finished or its entry
     * is in {@code withLog}: most polls find a build still running, and need one read, not two.
     */
    public record BuildsQuery(List<BuildQuery> builds, List<String> withLog) {
        public BuildsQuery {
            builds = builds == null ? List.of() : List.copyOf(builds);
            withLog = withLog == null ? List.of() : List.copyOf(withLog);
        }
    }

    /** The answer to a {@link BuildsQuery}: a state per build asked for, in its order; null where there is no such build. */
    public record BuildStates(List<BuildState> builds) {
        public BuildStates {
            builds = builds == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(builds));
        }
    }

    /** A runner took a build's message; {@code attempt} is how many times the message was received. */
    public record BuildStarted(String id, String runner, int attempt) {}

    /** Lines of a build's log, the {@code seq}-th chunk a runner sends for this attempt. */
    public record BuildLog(String id, int attempt, long seq, List<String> lines) {
        public BuildLog {
            lines = lines == null ? List.of() : List.copyOf(lines);
        }
    }

    /**
     * A runner's report; the outputs are in the bucket already. {@code logChunks}: how many chunks of
     * log this attempt sent (all of them sent before this report), so that a client that has read
     * them all need not read the log again; null when not known.
     */
    public record CompleteBuild(BuildReport report, int attempt, Long logChunks) {}

    /** Ends a build as failed from outside its runner (its message dead-lettered, a cancellation). */
    public record FailBuild(String id, String status, String error) {}

    /**
     * A client that waited for a build no longer does (it hung up). The build is cancelled when
     * nobody else waits for it: identical requests share one build, and each submitter is a waiter.
     */
    public record AbandonBuild(String id) {}

    /** Up to {@code limit} builds after {@code after} (null: from the start). */
    public record ListBuilds(String after, int limit) {}

    /**
     * A build: {@code state} is queued, running, built or failed; {@code status} Nix's name for how it
     * ended; {@code outputs} output name to path (the path it is built at until it is built, then
     * its final path); {@code pool} the runner pool it is routed to; {@code runner} the runner that took
     * its last attempt (null before one did);
     * {@code waiters} how many submitters wait for it; {@code log} the lines asked for, and
     * {@code logNext} where to ask from next.
     */
    public record BuildState(String id, String drvPath, String state, String status, String error,
                             Map<String, String> outputs, Map<String, String> outputHashes, int attempts,
                             long submittedAt, long startTime, long stopTime, String pool, String runner, long waiters,
                             List<String> log, long logNext) {
        public static final String QUEUED = "queued";
        public static final String RUNNING = "running";
        public static final String BUILT = "built";
        public static final String FAILED = "failed";

        public BuildState {
            outputs = outputs == null ? Map.of() : Map.copyOf(outputs);
            outputHashes = outputHashes == null ? Map.of() : Map.copyOf(outputHashes);
            log = log == null ? List.of() : List.copyOf(log);
        }

        public boolean finished() {
            return BUILT.equals(state) || FAILED.equals(state);
        }

        public boolean built() {
            return BUILT.equals(state);
        }
    }

    /** Whether the runner should build: false when the build ended meanwhile (done, failed, cancelled). */
    public record BuildClaim(boolean run) {}

    public record BuildList(List<BuildState> builds, String next) {
        public BuildList {
            builds = builds == null ? List.of() : List.copyOf(builds);
        }
    }

    /**
     * The message on a pool's build queue: the build's id, its pool and whether it is a batch build
     * (which queue of the pool it goes to), what to run, and where the inputs' NARs lie in
     * the bucket as submission found them (so a runner fetches them without asking the store; for
     * at most {@link #MAX_INPUT_NARS} inputs, to keep the message small: a runner asks for the rest).
     */
    public record QueuedBuild(String id, String pool, boolean batch, BuildRequest request, Map<String, InputNar> inputNars) {
        public static final int MAX_INPUT_NARS = 256;

        public QueuedBuild {
            inputNars = inputNars == null ? Map.of() : Map.copyOf(inputNars);
        }
    }

    /** An input path's NAR: its hash, to check what is unpacked, and its object. */
    public record InputNar(String narHash, NarObject nar) {}

    /** An answer with nothing in it. */
    public record Done() {}
}
