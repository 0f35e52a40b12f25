package dev.cumulus.functions;

import dev.cumulus.functions.tables.GraphTable;
import dev.cumulus.functions.tables.GraphTable.Step;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.GraphEvents;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.BuildFinished;
import dev.cumulus.model.event.GraphEvents.BuildingStep;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Build graphs, run by events in the cloud: a submission names a derivation in the store; its
 * graph is walked once and recorded in the build-graph table, one step per derivation (shared by
 * every submission that needs it); a step whose outputs are valid is done, one whose outputs a
 * substituter has is a substitution job, the others are builds that start when their inputs are
 * built (input sources need no step: a valid derivation's references are valid). Each step's end,
 * heard from the build functions ({@link Builds.EndListener}) or the substitute function
 * ({@link Substitution.StepListener}), counts down the steps waiting for it and starts those it
 * unblocks; a failure fails them as "dependency failed". A submission ends with its top step, and
 * its end is announced ({@link GraphEvents.BuildFinished} on the build-events queue).
 */
public final class BuildGraph {
    private static final Logger LOG = Logger.getLogger(BuildGraph.class.getName());
    static final Duration KEEP = Duration.ofDays(7);

    private final StoreTables tables;
    private final GraphTable graph;
    private final StoreDir storeDir;
    private final PathQueries queries;
    private final StoredDerivations derivations;
    private final Builds builds;
    private final Substitution substitution;
    private final JobQueue<BuildFinished> announcements;
    private final Clock clock;

    public BuildGraph(StoreTables tables, StoreDir storeDir, PathQueries queries, StoredDerivations derivations, Builds builds,
                      Substitution substitution, JobQueue<BuildFinished> announcements, Clock clock) {
        this.tables = tables;
        this.graph = tables.graph();
        this.storeDir = storeDir;
        this.queries = queries;
        this.derivations = derivations;
        this.builds = builds;
        this.substitution = substitution;
        this.announcements = announcements;
        this.clock = clock;
        builds.onEnd(this::buildEnded);
        substitution.onStepEnd(this::substitutionEnded);
    }

    /**
     * The submit-graphs function: each message of the build-submissions queue is a submission, its
     * id the message's when it names none (so a message delivered twice is one submission). A body
     * that is no submission at all is announced as a failed one: whoever sent it hears why.
     */
    public MessagesHandled submitAll(QueueMessages messages) {
        return messages.each(SubmitGraph.class, (m, s) -> submit(s.id() == null || s.id().isBlank()
                ? new SubmitGraph(m.messageId(), s.drvPath(), s.outputs(), s.source(), s.timeoutSeconds(),
                        s.maxSilentSeconds()) : s),
                (m, error) -> {
                    long now = now();
                    announcements.send(new BuildFinished(m.messageId(), null, SubmissionState.FAILED, Map.of(), null, null, null,
                            "not a build submission ({\"drvPath\": \"/nix/store/…drv\", \"outputs\": [\"out\"]}): " + error,
                            now, now));
                });
    }

    /**
     * Records the submission and walks its graph; answers it as it is then (ended already when
     * nothing needed building, or when the derivation is not in the store or not one).
     */
    public SubmissionState submit(SubmitGraph s) {
        String id = s.id() == null || s.id().isBlank() ? UUID.randomUUID().toString() : s.id();
        long now = now();
        List<String> wanted = s.outputs().isEmpty() ? List.of("*") : s.outputs();
        String printed = s.drvPath() == null ? "" : s.drvPath();
        SubmissionState fresh = new SubmissionState(id, printed, wanted, SubmissionState.RUNNING, null, null, null, null, null, null,
                Map.of(), List.of(), now, 0);
        if (graph.submission(id).isPresent()) {
            return query(new SubmissionQuery(id)); // a message delivered twice
        }
        graph.putSubmission(fresh, s.source() == null ? GraphEvents.FROM_EVENT : s.source(), s.timeoutSeconds(),
                s.maxSilentSeconds(), now + KEEP.toSeconds());
        StorePath drvPath;
        try {
            drvPath = storeDir.parse(printed);
            if (!drvPath.isDerivation()) {
                throw new IllegalArgumentException("'" + printed + "' is not a derivation");
            }
            if (!queries.isValid(drvPath)) {
                throw new IllegalArgumentException("derivation '" + printed + "' is not in the store");
            }
        } catch (IllegalArgumentException e) {
            end(fresh, SubmissionState.FAILED, "cannot build '" + printed + "': " + e.getMessage(), null, null, null, Map.of());
            return query(new SubmissionQuery(id));
        }
        Set<String> walked = new LinkedHashSet<>();
        Step top;
        try {
            top = walk(drvPath, id, walked, new HashMap<>());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "walking the graph of " + printed + " failed", e);
            end(fresh, SubmissionState.FAILED, "cannot build '" + printed + "': " + e.getMessage(), null, null, null, Map.of());
            return query(new SubmissionQuery(id));
        }
        graph.addSteps(id, walked);
        if (top.ended()) {
            endWith(id, top);
        }
        return query(new SubmissionQuery(id));
    }

    public SubmissionState query(SubmissionQuery q) {
        if (q.id() == null) {
            throw new StoreException("'id' is missing");
        }
        GraphTable.Submission s = graph.submission(q.id())
                .orElseThrow(() -> new StoreException("there is no build submission '" + q.id() + "'"));
        SubmissionState state = s.state();
        if (state.finished()) {
            return state;
        }
        List<BuildingStep> building = new ArrayList<>();
        graph.steps(s.steps()).values().forEach(step -> {
            // A build id is blank between a step's start and its build's submission.
            if (GraphTable.BUILDING.equals(step.state()) && step.build() != null && !step.build().isBlank()) {
                building.add(new BuildingStep(step.drvPath(), step.build()));
            }
        });
        return new SubmissionState(state.id(), state.drvPath(), state.outputs(), state.state(), state.status(), state.error(),
                state.failingStep(), state.failingStatus(), state.failingLog(), state.failingBuild(), state.outputPaths(), building,
                state.submittedAt(), state.stopTime());
    }

    /**
     * A client that submitted hung up: the submission is cancelled, and each of its steps that no
     * other submission needs any more is let go (its build abandoned, so it stops unless another
     * client waits for it).
     */
    public SubmissionState abandon(AbandonSubmission a) {
        GraphTable.Submission s = graph.submission(a.id())
                .orElseThrow(() -> new StoreException("there is no build submission '" + a.id() + "'"));
        if (!s.state().finished()) {
            end(s.state(), SubmissionState.CANCELLED, "was cancelled: its client hung up", null, null, null, Map.of());
        }
        for (String key : s.steps()) {
            Step step = graph.leave(key, a.id());
            if (step.submissions().isEmpty() && GraphTable.BUILDING.equals(step.state()) && step.build() != null
                    && !step.build().isBlank()) {
                builds.abandon(new AbandonBuild(step.build()));
            }
        }
        return query(new SubmissionQuery(a.id()));
    }

    /** The step of {@code drvPath}, recorded (or joined, when another submission recorded it) with its inputs'. */
    private Step walk(StorePath drvPath, String submission, Set<String> walked, Map<StorePath, Step> seen) {
        Step known = seen.get(drvPath);
        if (known != null) {
            return known;
        }
        String key = drvPath.baseName();
        walked.add(key);
        Optional<Step> existing = graph.step(key);
        if (existing.isPresent() && existing.get().ended() && (GraphTable.FAILED.equals(existing.get().state())
                || validOutputs(drvPath).isEmpty())) {
            // An earlier graph's step: failed (this submission tries again) or built with outputs since collected.
            graph.forgetEnded(key);
            existing = graph.step(key);
        }
        if (existing.isPresent()) {
            return joined(drvPath, submission, walked, seen);
        }
        Derivation drv = derivations.read(drvPath);
        long expires = now() + KEEP.toSeconds();
        String printed = storeDir.print(drvPath);
        Optional<Map<String, String>> valid = validOutputs(drvPath);
        if (valid.isPresent()) {
            return created(key, printed, GraphTable.BUILT, 0, submission, valid.get(), expires, seen, drvPath, walked);
        }
        Optional<Substitute> fetch = substitutable(drvPath, drv);
        if (fetch.isPresent()) {
            Step step = created(key, printed, GraphTable.WAITING, 0, submission, Map.of(), expires, seen, drvPath, walked);
            if (GraphTable.WAITING.equals(step.state())) {
                startSubstitution(key, fetch.get());
                return graph.step(key).orElse(step);
            }
            return step;
        }
        List<String> inputs = new ArrayList<>();
        for (StorePath input : drv.inputDrvs().keySet()) {
            walk(input, submission, walked, seen);
            inputs.add(input.baseName());
        }
        Step step = created(key, printed, GraphTable.WAITING, inputs.size(), submission, Map.of(), expires, seen, drvPath,
                walked);
        if (!GraphTable.WAITING.equals(step.state()) || step.pending() != inputs.size()) {
            return step; // another submission recorded it meanwhile: it counts its own inputs
        }
        long counted = 0;
        Step failedInput = null;
        for (String input : inputs) {
            Step in = graph.addDependent(input, key);
            if (GraphTable.BUILT.equals(in.state())) {
                counted++;
            } else if (GraphTable.FAILED.equals(in.state()) && failedInput == null) {
                failedInput = in;
            }
        }
        if (failedInput != null) {
            failDependent(key, failedInput);
        } else if (inputs.isEmpty()) {
            startBuild(key);
        } else {
            for (long i = 0; i < counted; i++) {
                if (graph.inputBuilt(key) == 0) {
                    startBuild(key);
                }
            }
        }
        return graph.step(key).orElse(step);
    }

    /**
     * A step building as a build that has ended: the graph did not hear of that end (the function
     * that moved it on failed after the build's end was written, or the end came before the step
     * recorded its build). It moves on now.
     */
    private Step heal(Step step) {
        if (!GraphTable.BUILDING.equals(step.state()) || step.build() == null || step.build().isBlank()) {
            return step;
        }
        // A build that expired is not known any more: only a failed or collected step is tried again.
        BuildState b = builds.state(step.build()).orElse(null);
        if (b == null || !b.finished()) {
            return step;
        }
        buildEnded(b);
        return graph.step(step.key()).orElse(step);
    }

    private Step created(String key, String printed, String state, long pending, String submission, Map<String, String> outputs,
                         long expires, Map<StorePath, Step> seen, StorePath drvPath, Set<String> walked) {
        if (!graph.putStep(key, printed, state, pending, submission, outputs, expires)) {
            return joined(drvPath, submission, walked, seen);
        }
        Step step = graph.step(key).orElseThrow();
        seen.put(drvPath, step);
        return step;
    }

    /**
     * Joins a step another submission recorded. While it has not ended, this submission needs its
     * inputs' steps too (to let them go when abandoned), and each is looked at: one whose build
     * ended unheard moves on now ({@link #heal}).
     */
    private Step joined(StorePath drvPath, String submission, Set<String> walked, Map<StorePath, Step> seen) {
        Step joined = heal(graph.join(drvPath.baseName(), submission));
        seen.put(drvPath, joined);
        if (!joined.ended()) {
            for (StorePath input : derivations.read(drvPath).inputDrvs().keySet()) {
                walk(input, submission, walked, seen);
            }
            joined = graph.step(joined.key()).orElse(joined);
        }
        return joined;
    }

    /** The outputs' paths when all of them are valid. */
    private Optional<Map<String, String>> validOutputs(StorePath drvPath) {
        Map<String, Optional<StorePath>> outputs = queries.derivationOutputMap(drvPath);
        Map<String, String> found = new TreeMap<>();
        for (Map.Entry<String, Optional<StorePath>> e : outputs.entrySet()) {
            if (e.getValue().isEmpty()) {
                return Optional.empty();
            }
            found.put(e.getKey(), storeDir.print(e.getValue().get()));
        }
        List<StorePath> paths = outputs.values().stream().map(Optional::get).toList();
        return !found.isEmpty() && tables.paths().valid(paths).size() == new TreeSet<>(paths).size()
                ? Optional.of(found) : Optional.empty();
    }

    private record Substitute(List<String> paths, List<String> drvOutputs) {}

    /**
     * What to fetch instead of building, when the substituters have every output: input-addressed
     * ones by path, floating ones by their realisations.
     */
    private Optional<Substitute> substitutable(StorePath drvPath, Derivation drv) {
        List<StorePath> fixed = new ArrayList<>();
        List<DrvOutput> floating = new ArrayList<>();
        SortedMap<String, Hash> hashes = null;
        for (Map.Entry<String, Optional<StorePath>> e : drv.outputPaths(storeDir).entrySet()) {
            if (e.getValue().isPresent()) {
                fixed.add(e.getValue().get());
                continue;
            }
            if (hashes == null) {
                hashes = derivations.outputHashes(drvPath);
            }
            Hash h = hashes.get(e.getKey());
            if (h == null) {
                return Optional.empty();
            }
            floating.add(new DrvOutput.ByHash(h, e.getKey()));
        }
        if (!fixed.isEmpty() && substitution.substitutable(fixed).size() < fixed.size()) {
            return Optional.empty();
        }
        if (!floating.isEmpty() && !substitution.realisable(floating)) {
            return Optional.empty();
        }
        return Optional.of(new Substitute(fixed.stream().map(storeDir::print).toList(),
                floating.stream().map(o -> o.render(storeDir)).toList()));
    }

    private void startSubstitution(String key, Substitute what) {
        if (!graph.start(key, GraphTable.SUBSTITUTING, "job", "")) {
            return;
        }
        SubstitutionState job = substitution.submit(new SubstitutePaths(what.paths(), what.drvOutputs(), null), key);
        if (job.finished()) {
            substitutionEnded(key, job); // nothing was missing, or nothing can be had
        } else {
            graph.startedAs(key, "job", job.id());
        }
    }

    /** Submits the build of a step whose inputs are built; a submission it cannot make fails the step. */
    private void startBuild(String key) {
        Step step = graph.step(key).orElseThrow();
        if (step.submissions().isEmpty()) {
            graph.end(key, GraphTable.FAILED, Map.of(), SubmissionState.CANCELLED, "was cancelled: nobody wants it any more",
                    key, expiry());
            return;
        }
        if (!graph.start(key, GraphTable.BUILDING, "build", "")) {
            return;
        }
        StorePath drvPath = storeDir.parse(step.drvPath());
        try {
            Derivation drv = derivations.read(drvPath);
            TreeSet<StorePath> inputs = new TreeSet<>(drv.inputSrcs());
            Map<String, Step> inputSteps = graph.steps(drv.inputDrvs().keySet().stream().map(StorePath::baseName).toList());
            for (var in : drv.inputDrvs().entrySet()) {
                Step built = inputSteps.get(in.getKey().baseName());
                for (String output : in.getValue().outputs()) {
                    String path = built == null ? null : built.outputs().get(output);
                    if (path == null) {
                        throw new StoreException("input '" + storeDir.print(in.getKey()) + "^" + output + "' of '"
                                + step.drvPath() + "' is not built");
                    }
                    inputs.add(storeDir.parse(path));
                }
            }
            Map<String, String> hashes = new TreeMap<>();
            boolean floating = drv.outputPaths(storeDir).values().stream().anyMatch(Optional::isEmpty);
            if (floating) {
                derivations.outputHashes(drvPath).forEach((name, h) -> hashes.put(name, h.toString()));
            }
            GraphTable.Submission limits = step.submissions().stream().map(graph::submission).flatMap(Optional::stream)
                    .findFirst().orElse(null);
            BuildState build = builds.submit(new SubmitBuild(step.drvPath(), drv.toAterm(storeDir),
                    inputs.stream().map(storeDir::print).toList(), hashes, limits == null ? 0 : limits.timeout(),
                    limits == null ? 0 : limits.maxSilent(), limits == null ? GraphEvents.FROM_EVENT : limits.source()));
            graph.startedAs(key, "build", build.id());
            // A build may end before its step says which build it is (a runner took it at once and
            // finished fast): its end found no step to move on, so the step looks at it now. Either
            // the end sees the build's id or this sees the end; both may, and one of them moves on.
            heal(graph.step(key).orElseThrow());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "starting the build of " + step.drvPath() + " failed", e);
            ended(key, GraphTable.FAILED, Map.of(), BuildStatus.MISC_FAILURE.jsonName(),
                    "cannot build '" + step.drvPath() + "': " + e.getMessage(), key);
        }
    }

    /** A build ended: the step it does (if a graph's) ends as it did. */
    private void buildEnded(BuildState b) {
        try {
            String key = storeDir.parse(b.drvPath()).baseName();
            Optional<Step> step = graph.step(key);
            if (step.isEmpty() || !b.id().equals(step.get().build())) {
                return;
            }
            if (BuildState.BUILT.equals(b.state())) {
                ended(key, GraphTable.BUILT, b.outputs(), BuildStatus.BUILT.jsonName(), null, null);
            } else {
                // Nix's wording: a builder "failed with exit code N"; a timeout is the build's ("building of … timed out").
                String what = BuildStatus.TIMED_OUT.jsonName().equals(b.status()) ? "building of '" : "builder for '";
                ended(key, GraphTable.FAILED, Map.of(), b.status(), what + b.drvPath() + "' "
                        + (b.error() == null ? "failed" : b.error()), key);
            }
        } catch (RuntimeException e) {
            // The build stands as it ended; only this graph's progress is lost (see functions/README.md).
            LOG.log(Level.SEVERE, "the build graph did not hear of the end of build " + b.id(), e);
        }
    }

    private void substitutionEnded(String key, SubstitutionState job) {
        Optional<Step> step = graph.step(key);
        if (step.isEmpty()) {
            return;
        }
        if (job.failed().isEmpty()) {
            Map<String, String> outputs = validOutputs(storeDir.parse(step.get().drvPath())).orElse(Map.of());
            ended(key, GraphTable.BUILT, outputs, BuildStatus.SUBSTITUTED.jsonName(), null, null);
        } else {
            ended(key, GraphTable.FAILED, Map.of(), BuildStatus.MISC_FAILURE.jsonName(),
                    String.join("; ", job.failed().values()), key);
        }
    }

    /** Ends a step, then moves on: dependents counted down (and started) or failed, submissions ended. */
    private void ended(String key, String state, Map<String, String> outputs, String status, String error,
                       String failingStep) {
        Optional<Step> ended = graph.end(key, state, outputs, status, error, failingStep, expiry());
        if (ended.isEmpty()) {
            return; // ended already, by whoever moved on from it
        }
        Step step = ended.get();
        for (String dependent : step.dependents()) {
            if (GraphTable.BUILT.equals(state)) {
                if (graph.inputBuilt(dependent) == 0) {
                    startBuild(dependent);
                }
            } else {
                failDependent(dependent, step);
            }
        }
        for (String submission : step.submissions()) {
            graph.submission(submission).filter(s -> s.state().drvPath().equals(step.drvPath()))
                    .ifPresent(s -> endWith(submission, step));
        }
    }

    private void failDependent(String key, Step failed) {
        String failing = failed.failingStep() != null ? failed.failingStep() : failed.key();
        ended(key, GraphTable.FAILED, Map.of(), BuildStatus.DEPENDENCY_FAILED.jsonName(),
                "dependency failed: " + (failed.error() == null ? "'" + failed.drvPath() + "' failed" : failed.error()), failing);
    }

    /** Ends submission {@code id} as its top step ended. */
    private void endWith(String id, Step top) {
        GraphTable.Submission s = graph.submission(id).orElseThrow();
        if (GraphTable.BUILT.equals(top.state())) {
            Map<String, String> outputs = new TreeMap<>(top.outputs());
            if (!s.state().outputs().contains("*")) {
                outputs.keySet().retainAll(s.state().outputs());
            }
            end(s.state(), SubmissionState.BUILT, null, null, null, null, outputs);
            return;
        }
        String status = BuildStatus.DEPENDENCY_FAILED.jsonName().equals(top.status()) ? SubmissionState.DEPENDENCY_FAILED
                : BuildStatus.TIMED_OUT.jsonName().equals(top.status()) ? SubmissionState.TIMED_OUT
                : SubmissionState.CANCELLED.equals(top.status()) || (top.error() != null && top.error().contains("was cancelled"))
                ? SubmissionState.CANCELLED : SubmissionState.FAILED;
        String failing = top.failingStep() == null ? top.key() : top.failingStep();
        Step failingStep = failing.equals(top.key()) ? top : graph.step(failing).orElse(top);
        end(s.state(), status, top.error(), failing, failingStep.status(), failingStep.build(), Map.of());
    }

    private void end(SubmissionState s, String status, String error, String failingStep, String failingStatus,
                     String failingBuild, Map<String, String> outputs) {
        String failingDrv = failingStep == null ? null : storeDir.print(StorePath.parseBaseName(failingStep));
        // A step that failed before its build started (or a substitution) has no build and no log.
        String build = failingBuild == null || failingBuild.isBlank() ? null : failingBuild;
        String log = build == null ? null : BinaryCacheLayout.logKey(StorePath.parseBaseName(failingStep));
        SubmissionState ended = new SubmissionState(s.id(), s.drvPath(), s.outputs(), SubmissionState.ENDED, status, error,
                failingDrv, failingStatus, log, build, outputs, List.of(), s.submittedAt(), now());
        if (graph.endSubmission(ended, expiry())) {
            try {
                announcements.send(BuildFinished.of(ended));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "announcing the end of submission " + s.id() + " failed", e);
            }
        }
    }

    private long expiry() {
        return now() + KEEP.toSeconds();
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    /** The submission's steps as recorded (for tests). */
    Map<String, Step> steps(String submission) {
        return graph.submission(submission).map(s -> graph.steps(s.steps())).orElse(new LinkedHashMap<>());
    }
}
