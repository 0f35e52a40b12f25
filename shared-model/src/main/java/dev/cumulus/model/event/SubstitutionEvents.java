package dev.cumulus.model.event;

import java.util.List;
import java.util.Map;

/** The events of substitution: the store fetching what it lacks from its upstream binary caches. */
public final class SubstitutionEvents {
    private SubstitutionEvents() {}

    /**
     * Asks the store to make {@code paths} valid, and the outputs named by realisation ids
     * {@code drvOutputs}, by fetching what it lacks of them (and of their closures) from its
     * substituters. The fetched paths become temporary roots of connection {@code session} (null: of
     * the job itself, for a lease).
     */
    public record SubstitutePaths(List<String> paths, List<String> drvOutputs, String session) {
        public SubstitutePaths {
            paths = paths == null ? List.of() : List.copyOf(paths);
            drvOutputs = drvOutputs == null ? List.of() : List.copyOf(drvOutputs);
        }
    }

    /**
     * A job on the substitutions queue: what {@link SubstitutePaths} asked, under an id; {@code step}
     * names the build graph's step it does, if any (the graph hears of its end).
     */
    public record SubstitutionJob(String id, List<String> paths, List<String> drvOutputs, String session, String step) {
        public SubstitutionJob {
            paths = paths == null ? List.of() : List.copyOf(paths);
            drvOutputs = drvOutputs == null ? List.of() : List.copyOf(drvOutputs);
        }
    }

    public record QuerySubstitution(String id) {}

    /**
     * What the substituters offer for {@code paths}; with {@code closure}, also for every path their
     * closures need that is not valid here (QueryMissing's question, answered in one call: the walk
     * down a closure goes as fast as narinfos arrive, not one function call per level).
     */
    public record QuerySubstitutableInfos(List<String> paths, boolean closure) {
        public QuerySubstitutableInfos {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /**
     * A substitution: {@code queued}, {@code running} or {@code done}; each asked path or realisation
     * id that could not be substituted, with Nix's reason (at most {@link #MAX_FAILED}); and how many
     * paths it fetched.
     */
    public record SubstitutionState(String id, String state, Map<String, String> failed, long fetched,
                                    long submittedAt, long stopTime) {
        public static final int MAX_FAILED = 100;
        public static final String QUEUED = "queued";
        public static final String RUNNING = "running";
        public static final String DONE = "done";

        public SubstitutionState {
            failed = failed == null ? Map.of() : Map.copyOf(failed);
        }

        public boolean finished() {
            return DONE.equals(state);
        }
    }

    /** What a substituter would give for one path: its deriver, references and sizes (the file's and the NAR's). */
    public record SubstitutableInfo(String path, String deriver, List<String> references, long downloadSize,
                                    long narSize) {
        public SubstitutableInfo {
            references = references == null ? List.of() : List.copyOf(references);
        }
    }

    public record SubstitutableInfos(List<SubstitutableInfo> infos) {
        public SubstitutableInfos {
            infos = infos == null ? List.of() : List.copyOf(infos);
        }
    }
}
