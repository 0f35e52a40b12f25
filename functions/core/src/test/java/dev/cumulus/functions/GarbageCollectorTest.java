package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.RootEvents.AddRoot;
import dev.cumulus.model.event.RootEvents.AddTempRoots;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.QueryCollections;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.event.RootEvents.ListRoots;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import dev.cumulus.model.event.RootEvents.QueryDeletions;
import dev.cumulus.model.event.RootEvents.ReleaseTempRoots;
import dev.cumulus.model.event.RootEvents.RemoveRoot;
import dev.cumulus.model.event.RootEvents.Root;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Collection against DynamoDB Local and S3Proxy. The tables are shared with other test classes, so
 * assertions are about this test's own paths.
 */
@ExtendWith(LocalStackExtension.class)
class GarbageCollectorTest {
    @TempDir
    Path tmp;

    @Test
    void onlyWhatNoRootReachesIsCollectedWithItsNarinfoAndNarFile(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo leaf = withNar(store, "leaf");
        PathInfo top = withNar(store, "top", leaf.path());
        PathInfo orphanLib = withNar(store, "orphan-lib");
        PathInfo orphan = withNar(store, "orphan", orphanLib.path());
        PathInfo held = withNar(store, "held");
        PathInfo expired = withNar(store, "expired");
        register(store, leaf, top, orphanLib, orphan, held, expired);
        for (PathInfo p : List.of(leaf, top, orphanLib, orphan, held, expired)) {
            assertTrue(store.bucket.size(BinaryCacheLayout.narInfoKey(p.path())).isPresent(), "its narinfo is there");
        }
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot("profile-" + top.path().hashPart(), print(top)));
        store.client.call(StoreFunction.ADD_TEMP_ROOTS, new AddTempRoots("open-" + held.path().hashPart(),
                List.of(print(held)), 3 * 3600));
        // a connection whose proxy died: its lease ran out a second ago
        store.tables.roots().addTempRoots("dead-" + expired.path().hashPart(), List.of(expired.path()),
                Clock.systemUTC().instant().getEpochSecond() - 1);

        Set<String> live = new TreeSet<>(collect(store, CollectGarbage.RETURN_LIVE).paths());
        Set<String> dead = new TreeSet<>(collect(store, CollectGarbage.RETURN_DEAD).paths());
        assertTrue(live.containsAll(List.of(print(top), print(leaf), print(held))), live.toString());
        assertTrue(dead.containsAll(List.of(print(orphan), print(orphanLib), print(expired))), dead.toString());
        assertFalse(dead.contains(print(leaf)) || live.contains(print(orphan)));
        assertTrue(store.valid(orphan.path()), "listing deletes nothing");

        GarbageCollected done = collect(store, CollectGarbage.DELETE_DEAD);
        assertTrue(done.paths().containsAll(List.of(print(orphan), print(orphanLib), print(expired))));
        assertTrue(done.paths().indexOf(print(orphan)) < done.paths().indexOf(print(orphanLib)), "referrers go first");
        assertTrue(done.bytesFreed() >= orphan.narSize() + orphanLib.narSize() + expired.narSize());
        for (PathInfo p : List.of(orphan, orphanLib, expired)) {
            assertFalse(store.valid(p.path()));
            assertTrue(store.bucket.size(BinaryCacheLayout.narInfoKey(p.path())).isEmpty(), "its narinfo went with it");
            assertTrue(store.bucket.size(narKey(p)).isPresent(), "its NAR file waits for the grace period");
        }
        for (PathInfo p : List.of(leaf, top, held)) {
            assertTrue(store.valid(p.path()));
            assertTrue(store.bucket.size(BinaryCacheLayout.narInfoKey(p.path())).isPresent());
        }
        assertEquals(List.of(), store.client.call(StoreFunction.QUERY_REFERRERS,
                new dev.cumulus.model.event.Requests.PathQuery(print(orphanLib))).paths());
        assertEquals(List.of(), store.tables.referrers().referrers(orphanLib.path()), "the deleted referrer's edge went too");

        // Two hours on, with the default hour of grace: the unreferenced NAR files go, the live ones stay.
        GarbageCollected swept = new TestCollectionSteps.Collector(GarbageCollector.Interleaving.NONE, store,
                Clock.offset(Clock.systemUTC(), Duration.ofHours(2))).collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        assertTrue(swept.removedObjects() >= 3, String.valueOf(swept.removedObjects()));
        for (PathInfo p : List.of(orphan, orphanLib, expired)) {
            assertTrue(store.bucket.size(narKey(p)).isEmpty(), "its NAR file was removed");
        }
        for (PathInfo p : List.of(leaf, top, held)) {
            assertTrue(store.bucket.size(narKey(p)).isPresent());
        }
        assertEquals(List.of(), ours(store, List.of(leaf, top, held)), "the store verifies");

        // The root goes: so does its closure, on the next collection.
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("profile-" + top.path().hashPart()));
        store.client.call(StoreFunction.RELEASE_TEMP_ROOTS, new ReleaseTempRoots("open-" + held.path().hashPart()));
        assertTrue(collect(store, CollectGarbage.DELETE_DEAD).paths().containsAll(List.of(print(top), print(leaf), print(held))));
    }

    @Test
    void namedRootsAreListedAndDeletingALivePathIsRefused(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo kept = withNar(store, "kept");
        PathInfo doomed = withNar(store, "doomed");
        PathInfo user = withNar(store, "user", doomed.path());
        register(store, kept, doomed, user);
        String name = "/home/alice/result-" + kept.path().hashPart();
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot(name, print(kept)));
        List<Root> roots = store.client.call(StoreFunction.LIST_ROOTS, new ListRoots()).roots();
        assertTrue(roots.contains(new Root(name, print(kept), false)), roots.toString());
        var e = assertThrows(FunctionFailedException.class, () -> store.collect(
                new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(kept)), false, -1, -1)));
        assertTrue(e.getMessage().contains("since it is still alive"), e.getMessage());
        assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.ADD_ROOT,
                new AddRoot("ghost", TestStore.print(TestStore.randomPath("ghost")))));

        // As Nix's daemon: a dead path that another valid path refers to goes only with it.
        var refused = assertThrows(FunctionFailedException.class, () -> store.collect(
                new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(doomed)), false, -1, -1)));
        assertEquals("Cannot delete path '" + print(doomed) + "' since it is still alive. To find out why, use: "
                + "nix-store --query --roots and nix-store --query --referrers", refused.getMessage());
        assertTrue(store.valid(doomed.path()) && store.valid(user.path()), "nothing was deleted");
        // delete-dead among given paths passes over it instead.
        GarbageCollected none = store.collect(
                new CollectGarbage(CollectGarbage.DELETE_DEAD, List.of(print(doomed)), false, -1, -1));
        assertEquals(List.of(), none.paths());
        // Named with its referrer, or with delete-referrers (Nix 2.35's --also-referrers), it goes, referrer first.
        GarbageCollected done = store.collect(
                new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(doomed), print(user)), false, -1, -1));
        assertEquals(List.of(print(user), print(doomed)), done.paths());
        assertTrue(store.valid(kept.path()));
        PathInfo lib = withNar(store, "lib");
        PathInfo app = withNar(store, "app", lib.path());
        register(store, lib, app);
        GarbageCollected withReferrers = store.collect(
                new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(lib)), true, -1, -1));
        assertEquals(List.of(print(app), print(lib)), withReferrers.paths());
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot(name));
    }

    /**
     * The race: a client registers a closure (in batches, references first, as its temporary roots)
     * on top of an old path no root holds, while collections run. Whatever the interleaving, nothing
     * of what it registered is lost, and no path is ever valid without its references.
     */
    @Test
    void collectionsRunningWhileAClosureIsRegisteredLoseNothingOfIt(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        int rounds = 25;
        int failedCopies = 0;
        for (int round = 0; round < rounds; round++) {
            PathInfo old = withNar(store, "old");
            register(store, old);
            String session = "race-" + round + "-" + old.path().hashPart();
            List<PathInfo> chain = new ArrayList<>();
            StorePath below = old.path();
            for (int i = 0; i < 12; i++) {
                PathInfo p = withNar(store, "link" + i, below);
                chain.add(p);
                below = p.path();
            }
            CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                for (int from = 0; from < chain.size(); from += 3) {
                    store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true,
                            chain.subList(from, from + 3).stream().map(GarbageCollectorTest::newPath).toList(), session, null));
                }
            });
            CompletableFuture<Void> collections = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 3; i++) {
                    store.collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
                }
            });
            collections.join();
            boolean copied;
            try {
                upload.join();
                copied = true;
            } catch (java.util.concurrent.CompletionException e) {
                // The old path went before the first batch referred to it: the copy fails cleanly.
                assertTrue(e.getCause().getMessage().contains("garbage-collected") || e.getCause().getMessage()
                        .contains("is not valid"), e.getCause().getMessage());
                copied = false;
                failedCopies++;
            }
            if (copied) {
                for (PathInfo p : chain) {
                    assertTrue(store.valid(p.path()), "round " + round + ": " + p.path() + " was lost");
                }
                assertTrue(store.valid(old.path()), "round " + round + ": the old path the closure refers to was lost");
            } else {
                assertFalse(store.valid(chain.getFirst().path()), "round " + round);
            }
            // After the collections: nothing valid lacks a reference.
            for (PathInfo p : chain) {
                if (store.valid(p.path())) {
                    for (StorePath r : p.references()) {
                        assertTrue(store.valid(r), "round " + round + ": " + p.path() + " lost its reference " + r);
                    }
                }
            }
            store.client.call(StoreFunction.RELEASE_TEMP_ROOTS, new ReleaseTempRoots(session));
        }
        assertTrue(failedCopies < rounds, "at least some copies got through");
        GarbageCollected last = collect(store, CollectGarbage.DELETE_DEAD);
        assertFalse(last.paths().isEmpty());
    }

    /**
     * A registration that commits in one transaction roots only its heads, and a collection keeps the
     * whole batch through them; one too large for a transaction roots every path.
     */
    @Test
    void aBatchInOneTransactionIsRootedByItsHeadsAndKeptWhole(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        List<PathInfo> chain = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            chain.add(withNar(store, "headed-" + i, i == 0 ? new StorePath[0] : new StorePath[] {chain.get(i - 1).path()}));
        }
        PathInfo side = withNar(store, "headed-side", chain.get(1).path());
        List<PathInfo> batch = new ArrayList<>(chain);
        batch.add(side);
        String session = "heads-" + chain.getFirst().path().hashPart();
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true,
                batch.stream().map(GarbageCollectorTest::newPath).toList(), session, null));
        long now = Clock.systemUTC().instant().getEpochSecond();
        assertEquals(Set.of(chain.getLast().path(), side.path()),
                Set.copyOf(store.tables.roots().scan().liveTemporary(now).get(session)));
        collect(store, CollectGarbage.DELETE_DEAD);
        for (PathInfo p : batch) {
            assertTrue(store.valid(p.path()), p.path() + " was collected");
        }
        store.client.call(StoreFunction.RELEASE_TEMP_ROOTS, new ReleaseTempRoots(session));

        // A chain of 60 paths, each also referring to two valid paths of its own: 180 items, several transactions.
        List<PathInfo> outside = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            outside.add(withNar(store, "outside-" + i));
        }
        register(store, outside.subList(0, 60).toArray(PathInfo[]::new));
        register(store, outside.subList(60, 120).toArray(PathInfo[]::new));
        List<PathInfo> wide = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            List<StorePath> refs = new ArrayList<>(List.of(outside.get(2 * i).path(), outside.get(2 * i + 1).path()));
            if (i > 0) {
                refs.add(wide.get(i - 1).path());
            }
            wide.add(withNar(store, "wide-" + i, refs.toArray(StorePath[]::new)));
        }
        String wideSession = "wide-" + wide.getFirst().path().hashPart();
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true,
                wide.stream().map(GarbageCollectorTest::newPath).toList(), wideSession, null));
        assertEquals(60, store.tables.roots().scan().liveTemporary(now).get(wideSession).size());
        store.client.call(StoreFunction.RELEASE_TEMP_ROOTS, new ReleaseTempRoots(wideSession));
    }

    @Test
    void aCollectionThatDeletesMovesTheDeletionGenerationAndOneThatDoesNotLeavesIt(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo doomed = withNar(store, "generation");
        register(store, doomed);
        Deletions before = store.client.call(StoreFunction.QUERY_DELETIONS, new QueryDeletions());
        assertFalse(before.deleting());
        store.collect(new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(doomed)), false, -1, -1));
        Deletions after = store.client.call(StoreFunction.QUERY_DELETIONS, new QueryDeletions());
        // Other tests' collections share the table: at least the two moves of this one.
        assertTrue(after.generation() >= before.generation() + 2, before + " -> " + after);
        assertFalse(after.deleting());

        // A collection that began deleting and died holds caches off until its lease runs out.
        long now = Clock.systemUTC().instant().getEpochSecond();
        String died = "gc-died-" + doomed.path().hashPart();
        store.tables.roots().startCollection(died, "scan", 1, now);
        store.tables.roots().beginDeletions(died, now + 60, now * 1000);
        assertTrue(store.client.call(StoreFunction.QUERY_DELETIONS, new QueryDeletions()).deleting());
        store.tables.roots().endDeletions(died, CollectionState.FAILED, now);
        String expired = "gc-expired-" + doomed.path().hashPart();
        store.tables.roots().startCollection(expired, "scan", 1, now);
        store.tables.roots().beginDeletions(expired, now - 1, now * 1000);
        assertFalse(store.client.call(StoreFunction.QUERY_DELETIONS, new QueryDeletions()).deleting());
        store.tables.roots().endDeletions(expired, CollectionState.FAILED, now);
    }

    /**
     * What else keeps a path (issue 29 named these as untested): the inputs of queued and running
     * builds, the outputs of a build that finished within the hold; not a failed build's inputs nor
     * the outputs of a build that finished long ago; a live path's deriver (keep-derivations). A
     * dead path's realisations go with it. Each case was shown to fail with its branch removed.
     */
    @Test
    void buildsHoldTheirPathsALivePathKeepsItsDeriverAndRealisationsGoWithTheirPath(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo queuedInput = withNar(store, "queued-input");
        PathInfo runningInput = withNar(store, "running-input");
        PathInfo freshOutput = withNar(store, "fresh-output");
        PathInfo oldOutput = withNar(store, "old-output");
        PathInfo failedInput = withNar(store, "failed-input");
        PathInfo drv = withNar(store, "kept.drv");
        PathInfo rooted = withNar(store, "rooted").withDeriver(java.util.Optional.of(drv.path()));
        PathInfo deadDrv = withNar(store, "dead.drv");
        PathInfo dead = withNar(store, "dead").withDeriver(java.util.Optional.of(deadDrv.path()));
        register(store, queuedInput, runningInput, freshOutput, oldOutput, failedInput, drv, rooted, deadDrv, dead);
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot("rooted-" + rooted.path().hashPart(), print(rooted)));
        dev.cumulus.model.derived.DrvOutput realised = new dev.cumulus.model.derived.DrvOutput.ByHash(
                Hash.of(HashAlgorithm.SHA256, "realised " + dead.path()), "out");
        store.client.call(StoreFunction.REGISTER_DRV_OUTPUT, new dev.cumulus.model.event.Requests.RegisterRealisation(true,
                dev.cumulus.model.derived.Realisation.of(realised, dead.path()).toJson()));

        long now = Clock.systemUTC().instant().getEpochSecond();
        var builds = store.tables.builds();
        String queued = build(builds, "queued", now, queuedInput);
        String running = build(builds, "running", now, runningInput);
        assertTrue(builds.start(running, "runner-1", 1, now));
        String fresh = build(builds, "fresh", now, TestStore.signed("fresh-in"));
        builds.finish(fresh, BuildState.BUILT, "Built", null, java.util.Map.of("out", print(freshOutput)), now, now + 3600);
        String old = build(builds, "old", now, TestStore.signed("old-in"));
        builds.finish(old, BuildState.BUILT, "Built", null, java.util.Map.of("out", print(oldOutput)),
                now - GarbageCollector.FINISHED_BUILD_HOLD_SECONDS - 60, now + 3600);
        String failed = build(builds, "failed", now, failedInput);
        builds.finish(failed, BuildState.FAILED, "PermanentFailure", "it failed", java.util.Map.of(), now, now + 3600);
        assertTrue(builds.get(queued).orElseThrow().state().equals(BuildState.QUEUED));

        Set<String> live = new TreeSet<>(collect(store, CollectGarbage.RETURN_LIVE).paths());
        for (PathInfo kept : List.of(queuedInput, runningInput, freshOutput, rooted, drv)) {
            assertTrue(live.contains(print(kept)), print(kept) + " is live: " + live);
        }
        GarbageCollected done = collect(store, CollectGarbage.DELETE_DEAD);
        for (PathInfo gone : List.of(oldOutput, failedInput, dead, deadDrv)) {
            assertTrue(done.paths().contains(print(gone)), print(gone) + " was collected");
            assertFalse(store.valid(gone.path()));
        }
        for (PathInfo kept : List.of(queuedInput, runningInput, freshOutput, rooted, drv)) {
            assertTrue(store.valid(kept.path()), print(kept));
        }
        assertEquals(null, store.client.call(StoreFunction.QUERY_REALISATION,
                new dev.cumulus.model.event.Requests.DrvOutputQuery(realised.render(TestStore.STORE))).realisation(),
                "the realisation went with its output path");
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("rooted-" + rooted.path().hashPart()));
    }

    /**
     * A queue delivers a message at least once: here every step of a collection runs twice, the second
     * time after the first has done its work (while the other steps of its stage are still to run:
     * more dead paths at one level than one batch holds). The collection deletes what is dead once,
     * lists each path once, counts each once (its record and the store's totals) and leaves the
     * store whole.
     */
    @Test
    void aCollectionWhoseEveryStepRunsTwiceDeletesAndCountsEachPathOnce(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        List<PathInfo> dead = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            dead.add(withNar(store, "twice-lib-" + i));
            dead.add(withNar(store, "twice-app-" + i, dead.getLast().path()));
        }
        PathInfo kept = withNar(store, "twice-kept");
        register(store, dead.toArray(PathInfo[]::new));
        register(store, kept);
        List<PathInfo> loose = new ArrayList<>();
        for (int i = 0; i < GarbageCollector.BATCH_PATHS; i++) {
            loose.add(TestStore.signed("twice-loose-" + i));
        }
        for (int from = 0; from < loose.size(); from += RegisterPaths.MAX_PATHS) {
            store.register(loose.subList(from, Math.min(loose.size(), from + RegisterPaths.MAX_PATHS)).toArray(PathInfo[]::new));
        }
        dead.addAll(loose);
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot("twice-" + kept.path().hashPart(), print(kept)));
        long pathsBefore = store.tables.stats().totals().paths();
        List<String> ran = new ArrayList<>();
        GarbageCollected done = dev.cumulus.model.event.GarbageCollection.run(store.client,
                CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1), true, state -> store.collectionSteps.drain(step -> {
                    ran.add(step.recorded());
                    return store.runStep(step) && store.runStep(step);
                }));
        assertTrue(ran.containsAll(List.of("scan", "plan", "mark", "recheck", "delete-0", "delete-1", "forget", "finish")), ran.toString());
        assertTrue(ran.stream().filter(r -> r.equals("delete-0")).count() >= 2, "a wave of several batches: " + ran);
        Set<String> deadPaths = new java.util.HashSet<>(dead.stream().map(GarbageCollectorTest::print).toList());
        assertEquals(dead.size(), done.paths().stream().filter(deadPaths::contains).count(), "the dead paths listed");
        assertEquals(done.paths().size(), Set.copyOf(done.paths()).size(), "a path listed twice: " + done.paths());
        CollectionState record = store.client.call(StoreFunction.QUERY_COLLECTIONS, new QueryCollections()).collections()
                .stream().filter(c -> c.phase().equals(CollectionState.DONE) && c.deleted() == done.paths().size()
                        && c.bytesFreed() == done.bytesFreed()).findFirst().orElseThrow(() -> new AssertionError(
                        "no record counts what the collection did: " + done));
        assertEquals(done.paths().size(), record.deleted());
        assertEquals(0, stack.clients().dynamoDb().query(q -> q.tableName(CloudResources.GC_ROOTS.physicalName(
                        stack.config().resourcePrefix())).keyConditionExpression("#o = :o")
                .expressionAttributeNames(java.util.Map.of("#o", "owner")).expressionAttributeValues(java.util.Map.of(":o",
                        software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("collection-steps#" + record.id()))))
                .count(), "the items of its done steps went when it ended");
        assertEquals(pathsBefore - done.paths().size(), store.tables.stats().totals().paths(), "the store's totals");
        assertEquals(List.of(), store.tables.paths().valid(dead.stream().map(PathInfo::path).toList()));
        assertTrue(store.valid(kept.path()));
        assertEquals(List.of(), ours(store, List.of(kept)), "the store verifies");
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("twice-" + kept.path().hashPart()));
    }

    @Test
    void aBucketSweptInPartsRemovesWhatNoValidPathUsesAndKeepsWhatOneDoes(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo live = withNar(store, "parts-live");
        PathInfo dead = withNar(store, "parts-dead");
        PathInfo revived = withNar(store, "parts-revived");
        String shared = "parts-shared " + System.nanoTime();
        PathInfo keeper = withContent(store, "parts-keeper", shared);
        PathInfo goner = withContent(store, "parts-goner", shared);
        assertEquals(narKey(keeper), narKey(goner), "identical NARs are one file");
        register(store, live, dead, revived, keeper, goner);
        for (PathInfo rooted : List.of(live, keeper)) {
            store.client.call(StoreFunction.ADD_ROOT, new AddRoot("parts-" + rooted.path().hashPart(), print(rooted)));
        }
        // An aborted upload's NAR file, the narinfo of a path never registered, and a build log: none is a path's.
        String strayNar = BinaryCacheLayout.narKey(Hash.of(HashAlgorithm.SHA256, ("stray " + System.nanoTime()).getBytes()),
                NarCompression.NONE);
        String strayNarInfo = BinaryCacheLayout.narInfoKey(TestStore.randomPath("parts-stray"));
        String log = BinaryCacheLayout.logKey(TestStore.randomPath("parts-log.drv"));
        for (String key : List.of(strayNar, strayNarInfo, log)) {
            store.bucket.put(key, "stray".getBytes(), "text/plain");
        }

        // Two hours on, past the hour of grace, the store swept in about five parts; a writer revives
        // one doomed path as the collection is about to delete it.
        long sweepPaths = store.tables.stats().totals().paths() / 5 + 1;
        TestCollectionSteps.Collector collector = new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void deleting(StorePath path) {
                if (path.equals(revived.path())) {
                    assertEquals(List.of(revived.path()), store.tables.paths().revive(List.of(revived.path())));
                }
            }
        }, store, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)), sweepPaths);
        GarbageCollected done = collector.collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        long parts = collector.steps().taken.stream().filter(s -> s.stage().equals(CollectionStep.SWEEP))
                .map(CollectionStep::index).distinct().count();
        assertTrue(parts >= 2, "swept in " + parts + " parts");

        assertTrue(done.paths().containsAll(List.of(print(dead), print(goner))), done.paths().toString());
        assertFalse(done.paths().contains(print(revived)), "revived as it was about to go");
        for (String gone : List.of(narKey(dead), BinaryCacheLayout.narInfoKey(dead.path()), strayNar, strayNarInfo)) {
            assertTrue(store.bucket.size(gone).isEmpty(), gone + " was swept");
        }
        assertTrue(store.bucket.size(log).isPresent(), "logs are not the sweep's");
        for (PathInfo stays : List.of(live, keeper, revived)) {
            assertTrue(store.valid(stays.path()));
            assertTrue(store.bucket.size(narKey(stays)).isPresent(), "the NAR file of " + stays.path());
            assertTrue(store.bucket.size(BinaryCacheLayout.narInfoKey(stays.path())).isPresent());
        }
        assertEquals(List.of(), ours(store, List.of(live, keeper, revived)), "the store verifies");
        for (PathInfo rooted : List.of(live, keeper)) {
            store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("parts-" + rooted.path().hashPart()));
        }
    }

    /**
     * A path added again while a sweep step runs: its NAR file, old and unused when the step listed
     * the bucket, is written again before the step removes it. The registration, which knows a step
     * ran since its writes began, finds the file gone and refuses the path instead of making it valid
     * without its NAR; written again once the step ended, the path registers.
     */
    @Test
    void aNarWrittenAgainWhileASweepStepRanIsLookedForBeforeItsPathRegisters(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo p = withNar(store, "swept-again");
        byte[] nar = collectedNar(store, p);
        long[] writtenSince = {-1};
        // Two hours on, past the hour of grace: the step lists the file as old and unused, then the
        // writer writes it again, then the step removes it.
        new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void sweeping(List<String> keys) {
                if (keys.contains(narKey(p))) {
                    writtenSince[0] = System.currentTimeMillis();
                    try {
                        store.bucket.put(narKey(p), nar, BinaryCacheLayout.NAR_TYPE);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        }, store, Clock.offset(Clock.systemUTC(), Duration.ofHours(2))).collect(
                CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        assertTrue(writtenSince[0] > 0, "the step was to remove the NAR file");
        assertTrue(store.bucket.size(narKey(p)).isEmpty(), "the step removed the file written again");

        var refused = assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(false, true, List.of(newPath(p)), null, writtenSince[0])));
        assertTrue(refused.getMessage().contains("was removed by a garbage collection that swept the store bucket"),
                refused.getMessage());
        assertFalse(store.valid(p.path()), "a path is never valid without its NAR");

        long again = System.currentTimeMillis();
        store.bucket.put(narKey(p), nar, BinaryCacheLayout.NAR_TYPE);
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true, List.of(newPath(p)), null, again));
        assertTrue(store.valid(p.path()));
        assertTrue(store.bucket.size(narKey(p)).isPresent());
    }

    /**
     * The same while the step still runs: the registration waits for the step to end before it looks
     * for the file (looking at once would find it, and the step would remove it after the commit).
     */
    @Test
    void aRegistrationOfANarWrittenWhileASweepStepRunsWaitsForTheStepToEnd(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo p = withNar(store, "swept-meanwhile");
        byte[] nar = collectedNar(store, p);
        java.util.concurrent.CompletableFuture<?>[] registration = {null};
        new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void sweeping(List<String> keys) {
                if (!keys.contains(narKey(p))) {
                    return;
                }
                long since = System.currentTimeMillis();
                try {
                    store.bucket.put(narKey(p), nar, BinaryCacheLayout.NAR_TYPE);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                registration[0] = java.util.concurrent.CompletableFuture.runAsync(() -> store.client.call(
                        StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true, List.of(newPath(p)), null, since)));
                assertThrows(java.util.concurrent.TimeoutException.class, () -> registration[0].get(1, TimeUnit.SECONDS),
                        "the registration waits while the step runs");
            }
        }, store, Clock.offset(Clock.systemUTC(), Duration.ofHours(2))).collect(
                CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        var refused = assertThrows(java.util.concurrent.ExecutionException.class, () -> registration[0].get(60, TimeUnit.SECONDS));
        assertTrue(refused.getCause().getMessage().contains("was removed by a garbage collection"), refused.getCause().getMessage());
        assertFalse(store.valid(p.path()), "a path is never valid without its NAR");
    }

    /**
     * A path added again (registered, then its narinfo written) just before the collection removes
     * what the paths it deleted leave behind keeps its narinfo and its referrer edge: the collection
     * writes them back.
     */
    @Test
    void aPathAddedAgainAsTheCollectionRemovesItsLeftoversKeepsThem(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = withNar(store, "leftovers-lib");
        PathInfo p = withNar(store, "leftovers-again", lib.path());
        register(store, lib, p);
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot("leftovers-" + lib.path().hashPart(), print(lib)));
        String narInfo = BinaryCacheLayout.narInfoKey(p.path());
        byte[] written = store.bucket.open(narInfo).orElseThrow().readAllBytes();
        GarbageCollected done = new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void forgetting(List<StorePath> paths) {
                if (paths.contains(p.path())) {
                    register(store, p);
                    try {
                        store.bucket.put(narInfo, written, BinaryCacheLayout.NARINFO_TYPE);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
        }, store, Clock.systemUTC()).collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        assertTrue(done.paths().contains(print(p)), "the collection deleted the path before it was added again");
        assertTrue(store.valid(p.path()));
        assertTrue(store.bucket.size(narInfo).isPresent(), "the narinfo of a valid path is there");
        assertEquals(List.of(p.path()), store.tables.referrers().referrers(lib.path()), "its referrer edge is there");
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("leftovers-" + lib.path().hashPart()));
    }

    /**
     * A Nix client's collection (through the proxy) is answered once its paths are deleted, while
     * what they left (referrer edges, narinfos) is forgotten and the bucket swept, neither of which
     * a reader of the store meets (referrers are read valid only; a narinfo's NAR file stays for
     * the grace period); `cumulus gc` waits for both.
     */
    @Test
    void aCollectionIsAnsweredOnceItsPathsAreDeletedAndWhatTheyLeftGoesAfter(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = withNar(store, "answered-lib");
        PathInfo dead = withNar(store, "answered-dead", lib.path());
        register(store, lib, dead);
        String rootName = "answered-" + lib.path().hashPart();
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot(rootName, print(lib)));
        String narInfo = BinaryCacheLayout.narInfoKey(dead.path());
        List<CollectionStep> held = new ArrayList<>();
        GarbageCollected answered = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> dev.cumulus.model.event.GarbageCollection.run(store.client,
                        CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1), false, state -> store.collectionSteps.drain(
                                step -> step.stage().equals(CollectionStep.FORGET) || step.stage().equals(CollectionStep.SWEEP)
                                        ? held.add(step) : store.runStep(step))),
                "answered only once what the paths left is forgotten and the bucket swept");
        assertTrue(answered.paths().contains(print(dead)), answered.paths().toString());
        assertFalse(store.valid(dead.path()));
        assertTrue(held.stream().anyMatch(step -> step.stage().equals(CollectionStep.FORGET)), "answered before the forget ran");
        assertTrue(store.bucket.size(narInfo).isPresent(), "the narinfo waits for the forget");
        assertEquals(List.of(dead.path()), store.tables.referrers().referrers(lib.path()), "the edge waits for the forget");
        assertEquals(List.of(), store.client.call(StoreFunction.QUERY_REFERRERS, new PathQuery(print(lib))).paths(),
                "a reader of referrers meets only valid ones");
        QueryCollection query = new QueryCollection(held.getFirst().gc(), 0);
        assertEquals(CollectionState.SWEEPING, store.client.call(StoreFunction.QUERY_COLLECTION, query).state().phase());
        held.forEach(store::runStep);
        store.collectionSteps.drain(store::runStep);
        assertEquals(CollectionState.DONE, store.client.call(StoreFunction.QUERY_COLLECTION, query).state().phase());
        assertTrue(store.bucket.size(narInfo).isEmpty(), "the forget removed the narinfo");
        assertEquals(List.of(), store.tables.referrers().referrers(lib.path()), "the forget removed the edge");
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot(rootName));
    }

    /**
     * A derivation and a realised output added again between their delete and the removal of what
     * they stood for (the derivation's recorded outputs, the output's realisation) keep them: the
     * removal happens only while the path is still not valid.
     */
    @Test
    void aDerivationAndARealisedOutputAddedAgainJustAfterTheirDeleteKeepTheirOutputsAndRealisation(LocalStack stack)
            throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo out = withNar(store, "again-out");
        PathInfo drv = withNar(store, "again.drv");
        NewPath drvWithOutputs = new NewPath(PathInfoEvent.of(TestStore.STORE, drv), NARS.get(drv.path()),
                java.util.Map.of("out", print(out)), List.of());
        dev.cumulus.model.derived.Realisation realisation = dev.cumulus.model.derived.Realisation.of(
                new dev.cumulus.model.derived.DrvOutput.ByHash(Hash.of(HashAlgorithm.SHA256, "again " + out.path()), "out"),
                out.path());
        Runnable addOut = () -> {
            register(store, out);
            store.client.call(StoreFunction.REGISTER_DRV_OUTPUT,
                    new dev.cumulus.model.event.Requests.RegisterRealisation(true, realisation.toJson()));
        };
        Runnable addDrv = () -> store.client.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(false, true, List.of(drvWithOutputs), null, null));
        addOut.run();
        addDrv.run();
        String id = realisation.id().render(TestStore.STORE);
        assertEquals(java.util.Optional.of(out.path()), store.tables.derivationOutputs().outputs(drv.path()).get("out"));
        GarbageCollected done = new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void deleted(List<StorePath> paths) {
                if (paths.contains(out.path())) {
                    addOut.run();
                }
                if (paths.contains(drv.path())) {
                    addDrv.run();
                }
            }
        }, store, Clock.systemUTC()).collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
        assertTrue(done.paths().containsAll(List.of(print(out), print(drv))), "both were deleted before being added again");
        assertTrue(store.valid(out.path()) && store.valid(drv.path()));
        assertEquals(java.util.Optional.of(out.path()), store.tables.derivationOutputs().outputs(drv.path()).get("out"),
                "the derivation added again keeps its outputs");
        assertTrue(store.tables.realisations().get(id).isPresent(), "the output added again keeps its realisation");

        // Once nothing adds them again, the next collection removes them with their paths.
        collect(store, CollectGarbage.DELETE_DEAD);
        assertFalse(store.valid(out.path()) || store.valid(drv.path()));
        assertEquals(java.util.Map.of(), store.tables.derivationOutputs().outputs(drv.path()));
        assertTrue(store.tables.realisations().get(id).isEmpty());
    }

    /**
     * A collection of particular paths is answered at its finish, not once its deletes are over: the
     * finish is what finds a requested path revived meanwhile, and the proxy's client must hear that.
     */
    @Test
    void aRequestedPathRevivedBeforeItsDeleteIsRefusedToACallerThatWaitsOnlyForTheDeletes(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo other = withNar(store, "revived-other");
        PathInfo revived = withNar(store, "revived-requested");
        register(store, other, revived);
        String root = "revived-" + revived.path().hashPart();
        TestCollectionSteps.Collector collector = new TestCollectionSteps.Collector(new GarbageCollector.Interleaving() {
            @Override
            public void marked(List<StorePath> marked) {
                if (marked.contains(revived.path())) {
                    store.client.call(StoreFunction.ADD_ROOT, new AddRoot(root, print(revived)));
                }
            }
        }, store, Clock.systemUTC());
        // Its forget steps wait for the caller's next look: a caller answered once the deletes are over
        // would hear of success there.
        List<CollectionStep> held = new ArrayList<>();
        Runnable eachPoll = () -> {
            held.forEach(step -> collector.collector().step(step));
            held.clear();
            collector.steps().drain(step -> {
                if (step.stage().equals(CollectionStep.FORGET) && held.add(step)) {
                    return true;
                }
                collector.collector().step(step);
                return true;
            });
        };
        var refused = assertThrows(FunctionFailedException.class, () -> collector.collect(new CollectGarbage(
                CollectGarbage.DELETE_SPECIFIC, List.of(print(other), print(revived)), false, -1, -1), false, eachPoll));
        assertEquals("Cannot delete path '" + print(revived) + "' since it is still alive. To find out why, use: "
                + "nix-store --query --roots and nix-store --query --referrers", refused.getMessage());
        assertFalse(store.valid(other.path()));
        assertTrue(store.valid(revived.path()));
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot(root));
    }

    /** Registers {@code p} and collects it; its NAR file, left for the grace period, is returned. */
    private static byte[] collectedNar(TestStore store, PathInfo p) throws java.io.IOException {
        register(store, p);
        assertTrue(collect(store, CollectGarbage.DELETE_DEAD).paths().contains(print(p)));
        try (var in = store.bucket.open(narKey(p)).orElseThrow()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aStepCutOffAfterMovingTheCollectionOnButBeforeQueuingTheNextStageQueuesItWhenItComesBack(LocalStack stack)
            throws Exception {
        TestStore store = new TestStore(stack);
        for (String cutOff : List.of(CollectionStep.MARK, CollectionStep.DELETE, CollectionStep.FORGET, CollectionStep.FINISH)) {
            PathInfo dead = withNar(store, "requeued-dead");
            register(store, dead);
            TestCollectionSteps.Collector collector = new TestCollectionSteps.Collector(GarbageCollector.Interleaving.NONE,
                    store, Clock.systemUTC());
            collector.steps().cutOffQueuing(step -> step.stage().equals(cutOff));
            CollectionState started = collector.collector().start(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1));
            collector.runSteps();
            CollectionState ended = collector.collector().report(new QueryCollection(started.id(), 0)).state();
            assertEquals(CollectionState.DONE, ended.phase(), "cut off as it queued a " + cutOff + " step: " + ended);
            assertFalse(store.valid(dead.path()));
        }
    }

    /** maxFreed stops a collection once that much is freed (Nix's --max-freed); an unknown action is refused. */
    @Test
    void maxFreedStopsTheCollectionAndAnUnknownActionIsRefused(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        List<PathInfo> dead = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            dead.add(withNar(store, "dead-" + i));
        }
        register(store, dead.toArray(PathInfo[]::new));
        GarbageCollected one = store.collect(CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, 1, -1));
        assertEquals(1, one.paths().size(), "one path frees the one byte asked for: " + one.paths());
        assertTrue(one.bytesFreed() >= 1);
        assertTrue(dead.stream().filter(p -> store.valid(p.path())).count() >= 4, "the rest stays until the next collection");
        var unknown = assertThrows(FunctionFailedException.class, () -> store.collect(
                CollectGarbage.wholeStore("delete-everything", -1, -1)));
        assertTrue(unknown.getMessage().contains("unknown garbage collector action 'delete-everything'"), unknown.getMessage());
        assertTrue(dead.stream().filter(p -> store.valid(p.path())).count() >= 4, "and an unknown action deletes nothing");
        collect(store, CollectGarbage.DELETE_DEAD);
    }

    /**
     * The local stack cuts an invocation off at its function's timeout, as Lambda does. Here every
     * step's first invocation is cut off a millisecond in, wherever that falls, and goes on in the
     * background as a cut-off invocation may; the step comes back, as a queue's message does, and runs
     * again beside it. The collection finishes, deletes what is dead and leaves the store whole.
     */
    @Test
    void stepsCutOffByTheirTimeoutRunAgainAndTheCollectionFinishes(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = withNar(store, "lib-cut-off");
        PathInfo app = withNar(store, "app-cut-off", lib.path());
        PathInfo kept = withNar(store, "kept-cut-off");
        PathInfo user = withNar(store, "user-cut-off", kept.path());
        register(store, lib, app, kept, user);
        store.client.call(StoreFunction.ADD_ROOT, new AddRoot("cut-off-" + user.path().hashPart(), print(user)));
        StoreFunctionClient hurried = new StoreFunctionClient(new InProcessInvoker(store.functions,
                f -> f.equals(StoreFunction.COLLECTION_STEPS) ? Duration.ofMillis(1) : f.timeout()));
        Set<CollectionStep> cut = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        GarbageCollected done = dev.cumulus.model.event.GarbageCollection.run(store.client,
                CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1), true, state -> store.collectionSteps.drain(step -> {
                    if (cut.add(step)) {
                        try {
                            return TestStore.runStep(hurried, step);
                        } catch (FunctionFailedException e) {
                            errors.add(e.getMessage());
                            return false; // as an SQS message whose invocation timed out: it comes back
                        }
                    }
                    return store.runStep(step);
                }));
        // Every stage's steps (scan, plan, mark, recheck, delete, forget, finish) were cut off once each.
        assertTrue(cut.size() >= 7 && errors.size() == cut.size()
                && errors.stream().allMatch(e -> e.contains("collection-steps: Task timed out after 0.00")), errors.toString());
        assertTrue(done.paths().containsAll(List.of(print(app), print(lib))), done.paths().toString());
        assertFalse(store.valid(app.path()) || store.valid(lib.path()));
        assertTrue(store.valid(user.path()) && store.valid(kept.path()));
        assertEquals(List.of(), ours(store, List.of(kept, user)), "the store verifies");
        store.client.call(StoreFunction.REMOVE_ROOT, new RemoveRoot("cut-off-" + user.path().hashPart()));
    }

    /** A collection reads the referrers of many paths by one scan, of a few by a query each: the same answer. */
    @Test
    void referrersReadByOneScanAreThoseQueriedPathByPath(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo lib = TestStore.signed("lib-of-two");
        PathInfo one = TestStore.signed("one-referrer", lib.path());
        PathInfo two = TestStore.signed("two-referrer", lib.path());
        PathInfo lone = TestStore.signed("lone");
        store.tables.referrers().putEdges(List.of(lib, one, two, lone));
        List<StorePath> asked = List.of(lib.path(), lone.path());
        var queried = store.tables.referrers().referrersOfAll(asked, Long.MAX_VALUE);
        var scanned = store.tables.referrers().referrersOfAll(asked, 0);
        for (var answer : List.of(queried, scanned)) {
            assertEquals(Set.of(one.path(), two.path()), Set.copyOf(answer.get(lib.path())), answer.toString());
            assertEquals(List.of(), answer.get(lone.path()), answer.toString());
        }
        store.tables.referrers().deleteEdges(java.util.Map.of(one.path(), one.references(), two.path(), two.references()));
    }

    /** A build of {@code input} recorded as submitted (queued), as the submit-build function records it. */
    private static String build(dev.cumulus.functions.tables.BuildsTable builds, String name, long now, PathInfo input) {
        String id = "gc-test-" + name + "-" + input.path().hashPart();
        BuildState state = new BuildState(id, TestStore.print(TestStore.randomPath(name + ".drv")), BuildState.QUEUED, null, null,
                java.util.Map.of("out", TestStore.print(TestStore.randomPath(name))), java.util.Map.of(), 0, now, 0, 0, "default",
                null, 1, List.of(), 0);
        assertTrue(builds.putIfNotOutstanding(state, List.of(print(input))).isEmpty());
        return id;
    }

    private static void register(TestStore store, PathInfo... infos) {
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(false, true,
                Arrays.stream(infos).map(GarbageCollectorTest::newPath).toList()));
    }

    private static GarbageCollected collect(TestStore store, String action) {
        return store.collect(CollectGarbage.wholeStore(action, -1, -1));
    }

    /** The violations the verifier reports about {@code paths}. */
    private static List<String> ours(TestStore store, List<PathInfo> paths) {
        List<String> violations = store.client.call(StoreFunction.VERIFY_STORE, new VerifyStore(true, false)).violations();
        return violations.stream().filter(v -> paths.stream().anyMatch(p -> v.contains(p.path().baseName()))).toList();
    }

    private static String print(PathInfo p) {
        return TestStore.print(p.path());
    }

    private static String narKey(PathInfo p) {
        return BinaryCacheLayout.narKey(p.narHash(), NarCompression.NONE);
    }

    private static final java.util.Map<StorePath, NarObject> NARS = new java.util.concurrent.ConcurrentHashMap<>();

    /** A signed path whose NAR (of one small file) is in the bucket. */
    private PathInfo withNar(TestStore store, String name, StorePath... references) throws Exception {
        return withContent(store, name, name + " " + System.nanoTime() + " " + Math.random(), references);
    }

    /** A path whose NAR is a file of {@code content}: paths of the same content share their NAR file. */
    private PathInfo withContent(TestStore store, String name, String content, StorePath... references) throws Exception {
        Path file = Files.createTempFile(tmp, "f", "");
        Files.writeString(file, content);
        ByteArrayOutputStream nar = new ByteArrayOutputStream();
        NarWriter.dump(file, nar);
        Hash narHash = Hash.of(HashAlgorithm.SHA256, nar.toByteArray());
        String key = BinaryCacheLayout.narKey(narHash, NarCompression.NONE);
        store.bucket.put(key, nar.toByteArray(), BinaryCacheLayout.NAR_TYPE);
        PathInfo info = PathInfo.of(TestStore.randomPath(name), narHash, nar.size(), Arrays.asList(references))
                .sign(TestStore.STORE, TestStore.TRUSTED);
        NarObject object = new NarObject(key, NarCompression.NONE.nixName(), narHash.toString(), nar.size());
        NARS.put(info.path(), object);
        // As every writer of a path does, the narinfo the bucket serves for it (the verifier checks it).
        store.bucket.put(BinaryCacheLayout.narInfoKey(info.path()), object.narInfo(info).render(TestStore.STORE)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8), BinaryCacheLayout.NARINFO_TYPE);
        return info;
    }

    static NewPath newPath(PathInfo info) {
        return new NewPath(PathInfoEvent.of(TestStore.STORE, info), NARS.get(info.path()), java.util.Map.of(), List.of());
    }
}
