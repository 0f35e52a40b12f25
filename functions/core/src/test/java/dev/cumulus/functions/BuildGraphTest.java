package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.build.BuildReport;
import dev.cumulus.model.derivation.Derivation;
import dev.cumulus.model.derivation.DerivationHasher;
import dev.cumulus.model.derivation.DerivationInput;
import dev.cumulus.model.derivation.DerivationOutput;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.BuildFinished;
import dev.cumulus.model.event.GraphEvents.BuildingStep;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The build graph against the local stack's tables: real derivations in the store, builds
 * queued and ended as a runner would end them, announcements recorded.
 */
@ExtendWith(LocalStackExtension.class)
class BuildGraphTest {
    private final List<QueuedBuild> queued = Collections.synchronizedList(new ArrayList<>());
    private final List<BuildFinished> announced = Collections.synchronizedList(new ArrayList<>());
    private final Map<StorePath, Derivation> written = new HashMap<>();
    private final String nonce = UUID.randomUUID().toString();
    private TestStore store;
    /** Whether a build ends as it is queued, as a runner that took it at once and finished fast would. */
    private volatile boolean endedOnQueuing;

    @BeforeEach
    void start(LocalStack stack) {
        store = new TestStore(stack, List.of(), StoreQueues.none().withBuilds(q -> {
            queued.add(q);
            if (endedOnQueuing) {
                complete(q.id());
            }
        }).withAnnouncements(announced::add));
    }

    @Test
    void aChainAndASideBranchBuildInputsFirstAndTheEndIsAnnouncedWithTheTopsOutputs() {
        StorePath a = write("a");
        StorePath b = write("b", a);
        StorePath c = write("c");
        StorePath top = write("top", b, c);

        SubmissionState s = submit(top);
        assertEquals(SubmissionState.RUNNING, s.state());
        assertEquals(names(a, c), building(s), "the steps with no inputs start at once");

        complete(s, a);
        assertEquals(names(b, c), building(query(s)));
        complete(s, c);
        assertEquals(names(b), building(query(s)));
        complete(s, b);
        assertEquals(names(top), building(query(s)), "the top starts once both its inputs are built");
        complete(s, top);

        SubmissionState ended = query(s);
        assertEquals(SubmissionState.ENDED, ended.state());
        assertEquals(SubmissionState.BUILT, ended.status());
        assertEquals(Map.of("out", outPath(top)), ended.outputPaths());
        assertNull(ended.failingStep(), "nothing failed");
        assertNull(ended.error());
        assertEquals(4, queued.size(), "each step built once");
        BuildFinished finished = announcement(s.id());
        assertEquals(SubmissionState.BUILT, finished.status());
        assertEquals(STORE.print(top), finished.drvPath());
        assertEquals(Map.of("out", outPath(top)), finished.outputs());
        assertTrue(finished.stopTime() >= finished.submittedAt());

        SubmissionState again = submit(top);
        assertEquals(SubmissionState.BUILT, again.status(), "valid outputs are not rebuilt: " + again);
        assertEquals(4, queued.size());
    }

    @Test
    void aFailedInputFailsItsDependentsAsDependencyFailedNamingTheFailingStepAndItsLog() {
        StorePath a = write("a");
        StorePath b = write("b", a);
        StorePath top = write("top", b);
        SubmissionState s = submit(top);
        String build = buildOf(s, a);
        store.client.call(StoreFunction.FAIL_BUILD, new FailBuild(build, "PermanentFailure", "failed with exit code 1"));

        SubmissionState ended = query(s);
        assertEquals(SubmissionState.DEPENDENCY_FAILED, ended.status());
        assertEquals(STORE.print(a), ended.failingStep());
        assertEquals("PermanentFailure", ended.failingStatus(), "the status of the step that failed");
        assertEquals("log/" + a.baseName(), ended.failingLog());
        assertEquals(build, ended.failingBuild());
        assertTrue(ended.error().contains("dependency failed") && ended.error().contains("failed with exit code 1"),
                ended.error());
        assertEquals(1, queued.size(), "nothing after the failure is built");
        BuildFinished finished = announcement(s.id());
        assertEquals(SubmissionState.DEPENDENCY_FAILED, finished.status());
        assertEquals(STORE.print(a), finished.failingStep());
        assertEquals("log/" + a.baseName(), finished.log());
        assertEquals(build, finished.failingBuild());

        // Submitted again, the failed step is tried again.
        SubmissionState retry = submit(top);
        assertEquals(names(a), building(retry));
        assertEquals(2, queued.size());
    }

    @Test
    void twoSubmissionsSharingStepsBuildThemOnceAndBothEnd() {
        StorePath shared = write("shared");
        StorePath left = write("left", shared);
        StorePath right = write("right", shared);
        SubmissionState l = submit(left);
        SubmissionState r = submit(right);
        assertEquals(buildOf(l, shared), buildOf(r, shared), "one build of the shared step");
        assertEquals(1, queued.size());

        complete(l, shared);
        complete(l, left);
        complete(r, right);
        assertEquals(SubmissionState.BUILT, query(l).status());
        assertEquals(SubmissionState.BUILT, query(r).status());
        assertEquals(3, queued.size());
    }

    @Test
    void anAbandonedSubmissionCancelsTheStepsNoOtherNeeds() {
        StorePath shared = write("shared");
        StorePath mine = write("mine");
        StorePath top = write("top", shared, mine);
        StorePath other = write("other", shared);
        SubmissionState s = submit(top);
        SubmissionState o = submit(other);
        String sharedBuild = buildOf(s, shared);
        String mineBuild = buildOf(s, mine);

        SubmissionState abandoned = store.client.call(StoreFunction.ABANDON_SUBMISSION, new AbandonSubmission(s.id()));
        assertEquals(SubmissionState.CANCELLED, abandoned.status());
        assertEquals(BuildState.FAILED, buildState(mineBuild).state(), "nobody else needs it");
        assertEquals(BuildState.QUEUED, buildState(sharedBuild).state(), "the other submission needs it");
        complete(o, shared);
        complete(o, other);
        assertEquals(SubmissionState.BUILT, query(o).status());
    }

    @Test
    void aStepWhoseBuildEndedUnheardMovesOnWhenTheGraphIsSubmittedAgain() {
        StorePath a = write("a");
        StorePath top = write("top", a);
        SubmissionState s = submit(top);
        // The build's end is written, but the graph is not told (the function failed right after).
        long now = System.currentTimeMillis() / 1000;
        store.tables.builds().finish(buildOf(s, a), BuildState.FAILED, "PermanentFailure", "failed with exit code 1",
                Map.of(), now, now + 60);
        assertEquals(SubmissionState.RUNNING, query(s).state(), "stalled");

        SubmissionState again = submit(top);
        assertEquals(SubmissionState.DEPENDENCY_FAILED, query(s).status(), "the first submission ends as well");
        assertEquals(SubmissionState.DEPENDENCY_FAILED, query(again).status());
    }

    @Test
    void aBuildThatEndsBeforeItsStepRecordsWhichBuildItIsIsHeardAllTheSame() {
        StorePath a = write("a");
        StorePath top = write("top", a);
        endedOnQueuing = true;
        SubmissionState ended = query(submit(top));
        assertEquals(SubmissionState.BUILT, ended.status(), "each step moved on as its build ended: " + ended);
        assertEquals(Map.of("out", outPath(top)), ended.outputPaths());
        assertEquals(2, queued.size());
    }

    @Test
    void aMissingOrMalformedDerivationEndsAtOnceInAFailureAnnouncement() {
        String missing = STORE.print(TestStore.randomPath("missing.drv"));
        store.client.call(StoreFunction.SUBMIT_GRAPHS, new QueueMessages(List.of(
                new QueueMessage("m-missing", "{\"drvPath\": \"" + missing + "\", \"outputs\": [\"out\"]}"),
                new QueueMessage("m-not-a-path", "{\"drvPath\": \"not a path\"}"),
                new QueueMessage("m-not-json", "{not json"))));

        SubmissionState gone = store.client.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery("m-missing"));
        assertEquals(SubmissionState.FAILED, gone.status(), "the message's id is the submission's");
        assertTrue(gone.error().contains("is not in the store"), gone.error());
        assertEquals(SubmissionState.FAILED, announcement("m-missing").status());
        assertEquals(missing, announcement("m-missing").drvPath());
        assertTrue(announcement("m-not-a-path").error().startsWith("cannot build 'not a path'"),
                announcement("m-not-a-path").error());
        BuildFinished notJson = announcement("m-not-json");
        assertEquals(SubmissionState.FAILED, notJson.status());
        assertNull(notJson.drvPath());
        assertTrue(notJson.error().startsWith("not a build submission"), notJson.error());

        // A message delivered again is the same submission, announced once.
        store.client.call(StoreFunction.SUBMIT_GRAPHS, new QueueMessages(List.of(
                new QueueMessage("m-missing", "{\"drvPath\": \"" + missing + "\"}"))));
        assertEquals(1, announced.stream().filter(f -> f.submission().equals("m-missing")).count());
    }

    // --- the store's side ---

    /**
     * A derivation {@code name} with {@code inputs}' outputs as inputs, written to the bucket as its
     * NAR and registered (with the inputs' derivations as references), as {@code nix copy --derivation} would.
     */
    private StorePath write(String name, StorePath... inputs) {
        TreeMap<StorePath, DerivationInput> inputDrvs = new TreeMap<>();
        for (StorePath in : inputs) {
            inputDrvs.put(in, new DerivationInput(new TreeSet<>(List.of("out")), new TreeMap<>()));
        }
        TreeMap<String, String> env = new TreeMap<>(Map.of("name", name, "builder", "/bin/sh", "system", "x86_64-linux",
                "nonce", nonce));
        Derivation drv = new DerivationHasher(STORE, written::get).fillInOutputPaths(new Derivation(name,
                new TreeMap<>(Map.of("out", new DerivationOutput.Deferred())), inputDrvs, new TreeSet<>(), "x86_64-linux",
                "/bin/sh", List.of("-c", "true"), env));
        StorePath path = drv.drvPath(STORE);
        written.put(path, drv);
        String aterm = drv.toAterm(STORE);
        byte[] nar = singleFileNar(aterm.getBytes(StandardCharsets.UTF_8));
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar);
        String key = "nar/" + narHash.toNix32() + ".nar";
        try {
            store.bucket.put(key, nar, "application/x-nix-archive");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PathInfo info = PathInfo.of(path, narHash, nar.length, List.of(inputs))
                .withCa(Optional.of(new ContentAddress(ContentAddressMethod.TEXT, Hash.sha256(aterm))));
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false, List.of(new NewPath(
                PathInfoEvent.of(STORE, info), new NarObject(key, "none", "sha256:" + narHash.toNix32(), nar.length),
                NewPath.derivationOutputs(STORE, path, aterm.getBytes(StandardCharsets.UTF_8))))));
        return path;
    }

    private static byte[] singleFileNar(byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : List.of("nix-archive-1", "(", "type", "regular", "contents")) {
            narString(out, s.getBytes(StandardCharsets.US_ASCII));
        }
        narString(out, contents);
        narString(out, ")".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static void narString(ByteArrayOutputStream out, byte[] s) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(s.length).array());
        out.writeBytes(s);
        out.writeBytes(new byte[(8 - s.length % 8) % 8]);
    }

    private String outPath(StorePath drvPath) {
        return STORE.print(((DerivationOutput.InputAddressed) written.get(drvPath).outputs().get("out")).path());
    }

    // --- the graph's side ---

    private SubmissionState submit(StorePath drvPath) {
        return store.client.call(StoreFunction.SUBMIT_GRAPH, SubmitGraph.ofEvent(null, STORE.print(drvPath), List.of("out")));
    }

    private SubmissionState query(SubmissionState s) {
        return store.client.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery(s.id()));
    }

    private static List<String> names(StorePath... drvs) {
        return java.util.Arrays.stream(drvs).map(STORE::print).sorted().toList();
    }

    private static List<String> building(SubmissionState s) {
        return s.building().stream().map(BuildingStep::drvPath).sorted().toList();
    }

    private String buildOf(SubmissionState s, StorePath drvPath) {
        Map<String, String> builds = query(s).building().stream()
                .collect(Collectors.toMap(BuildingStep::drvPath, BuildingStep::build));
        String build = builds.get(STORE.print(drvPath));
        if (build == null) {
            throw new AssertionError(STORE.print(drvPath) + " is not building: " + builds.keySet());
        }
        return build;
    }

    private BuildState buildState(String id) {
        return store.client.call(StoreFunction.QUERY_BUILD, new BuildQuery(id, 0));
    }

    /** Ends {@code drvPath}'s build as a runner does, its one output built where the derivation says. */
    private void complete(SubmissionState s, StorePath drvPath) {
        complete(buildOf(s, drvPath));
    }

    private void complete(String id) {
        BuildState build = buildState(id);
        String out = build.outputs().get("out");
        Hash narHash = Hash.of(HashAlgorithm.SHA256, "nar of " + out);
        NarObject object = new NarObject("nar/" + narHash.toNix32() + ".nar", "none", narHash.toNix32(), 112);
        try {
            store.bucket.put(object.key(), new byte[112], "application/x-nix-nar"); // as the runner writes it
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        store.client.call(StoreFunction.COMPLETE_BUILD, new CompleteBuild(new BuildReport(build.id(), "Built", null,
                List.of(new BuildReport.BuiltOutput(out, out, narHash.toString(), 112, object, null, List.of(), List.of(),
                        List.of())), 1, 2), 1, 0L));
    }

    private BuildFinished announcement(String submission) {
        List<BuildFinished> mine = announced.stream().filter(f -> f.submission().equals(submission)).toList();
        assertEquals(1, mine.size(), "one announcement of " + submission + ": " + announced);
        return mine.getFirst();
    }
}
