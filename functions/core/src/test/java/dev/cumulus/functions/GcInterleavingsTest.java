package dev.cumulus.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.functions.tables.RootsTable;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.GarbageCollected;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The collection's protocol against concurrent writers, one interleaving at a time: a writer acts at
 * a chosen point between a collection's scan, mark, re-read and delete (or between a registration's
 * checks and its commit), and each guarded branch must keep the store whole. The race test in
 * {@link GarbageCollectorTest} runs them at random; here each is forced.
 */
@ExtendWith(LocalStackExtension.class)
class GcInterleavingsTest {
    private static final long LEASE = 3600;

    /** A path rooted after the collection read the roots (its writer has not revived it yet) is kept. */
    @Test
    void aPathRootedAfterTheRootsWereReadIsKept(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo p = TestStore.signed("rooted-late");
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), p);
        String session = "late-" + p.path().hashPart();
        GarbageCollected result = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void marked(List<StorePath> marked) {
                assertTrue(marked.contains(p.path()), "the collection marked the dead path");
                store.tables.roots().addTempRoots(session, List.of(p.path()), now() + LEASE);
            }
        }).collect(deleteDead());
        assertFalse(result.paths().contains(TestStore.print(p.path())), "the collection deleted it");
        assertTrue(store.valid(p.path()));
        assertUnmarked(store, p.path());
        store.tables.roots().release(session);
    }

    /** A path that a new path came to refer to between the scan and the mark is kept. */
    @Test
    void aPathThatGainedAReferrerBeforeItWasMarkedIsKept(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathRegistration registration = registration(stack, store, PathRegistration.Interleaving.NONE);
        PathInfo lib = TestStore.signed("lib-referred-late");
        PathInfo app = TestStore.signed("app-referring-late", lib.path());
        register(store, registration, lib);
        GarbageCollected result = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void scanned(List<StorePath> dead) {
                assertTrue(dead.contains(lib.path()), "the scan found the path dead");
                register(store, registration, app);
            }
        }).collect(deleteDead());
        assertFalse(result.paths().contains(TestStore.print(lib.path())), "the collection deleted it");
        assertTrue(store.valid(app.path()));
        assertTrue(store.valid(lib.path()), "the new path's reference is valid");
        assertUnmarked(store, lib.path());
    }

    /** A writer that revives a marked path after the collection decided to delete it wins: the delete fails. */
    @Test
    void aPathRevivedJustBeforeItsDeleteIsKept(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathRegistration registration = registration(stack, store, PathRegistration.Interleaving.NONE);
        PathInfo lib = TestStore.signed("lib-revived");
        PathInfo app = TestStore.signed("app-reviving", lib.path());
        register(store, registration, lib);
        GarbageCollected result = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void deleting(StorePath path) {
                if (path.equals(lib.path())) {
                    register(store, registration, app); // revives lib, then commits on the condition it is unmarked
                }
            }
        }).collect(deleteDead());
        assertFalse(result.paths().contains(TestStore.print(lib.path())), "the collection deleted it");
        assertTrue(store.valid(app.path()));
        assertTrue(store.valid(lib.path()), "the new path's reference is valid");
    }

    /**
     * Paths go a batch at a time in one transaction: a path revived just before its batch's delete
     * fails the whole batch, and the batch is decided again, keeping what the revived path refers to.
     */
    @Test
    void aPathRevivedBeforeItsBatchGoesKeepsWhatItRefersToInThatBatch(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo lib = TestStore.signed("lib-of-revived-top");
        PathInfo top = TestStore.signed("revived-top", lib.path());
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), lib, top);
        String session = "revive-" + top.path().hashPart();
        GarbageCollected result = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void deleting(StorePath path) {
                if (path.equals(top.path())) {
                    // a client roots the top, then revives it, as a writer of a temporary root does
                    store.tables.roots().addTempRoots(session, List.of(top.path()), now() + LEASE);
                    assertEquals(List.of(top.path()), store.tables.paths().revive(List.of(top.path())));
                }
            }
        }).collect(deleteDead());
        assertFalse(result.paths().contains(TestStore.print(top.path())), "the collection deleted the top");
        assertFalse(result.paths().contains(TestStore.print(lib.path())), "the collection deleted the top's reference");
        assertTrue(store.valid(top.path()) && store.valid(lib.path()));
        assertUnmarked(store, lib.path());
        store.tables.roots().release(session);
    }

    /**
     * A collection marks a registration's reference between the registration's checks and its commit:
     * the commit is refused, the registration revives the reference and commits, and the collection's
     * delete of it then fails.
     */
    @Test
    void aRegistrationWhoseReferenceIsMarkedBeforeItCommitsRevivesItAndTheCollectionKeepsIt(LocalStack stack)
            throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = TestStore.signed("lib-marked-at-commit");
        PathInfo app = TestStore.signed("app-committing", lib.path());
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), lib);
        CountDownLatch aboutToDelete = new CountDownLatch(1);
        CountDownLatch registered = new CountDownLatch(1);
        TestCollectionSteps.Collector collector = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void deleting(StorePath path) {
                if (path.equals(lib.path())) {
                    aboutToDelete.countDown();
                    await(registered);
                }
            }
        });
        List<CompletableFuture<GarbageCollected>> collection = new ArrayList<>();
        PathRegistration registration = registration(stack, store, new PathRegistration.Interleaving() {
            @Override
            public void committing(List<PathInfo> paths) {
                collection.add(CompletableFuture.supplyAsync(() -> collector.collect(deleteDead())));
                await(aboutToDelete); // lib is marked now, and its collection is about to delete it
            }
        });
        register(store, registration, app);
        registered.countDown();
        GarbageCollected result = collection.getFirst().get(60, TimeUnit.SECONDS);
        assertFalse(result.paths().contains(TestStore.print(lib.path())), "the collection deleted it");
        assertTrue(store.valid(app.path()));
        assertTrue(store.valid(lib.path()), "the new path's reference is valid");
        assertUnmarked(store, lib.path());
    }

    /** A collection that deletes a registration's reference before the commit makes the registration fail. */
    @Test
    void aRegistrationWhoseReferenceIsCollectedBeforeItCommitsFailsAndLeavesNothing(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo lib = TestStore.signed("lib-collected-at-commit");
        PathInfo app = TestStore.signed("app-too-late", lib.path());
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), lib);
        PathRegistration registration = registration(stack, store, new PathRegistration.Interleaving() {
            @Override
            public void committing(List<PathInfo> paths) {
                GarbageCollected collected = collector(store, GarbageCollector.Interleaving.NONE).collect(deleteDead());
                assertTrue(collected.paths().contains(TestStore.print(lib.path())), "the reference was collected");
            }
        });
        MissingReferenceException e = assertThrows(MissingReferenceException.class, () -> register(store, registration, app));
        assertTrue(e.getMessage().contains("because its reference '" + TestStore.print(lib.path())
                + "' was garbage-collected meanwhile"), e.getMessage());
        assertFalse(store.valid(app.path()));
        assertFalse(store.valid(lib.path()));
    }

    /**
     * A path with more references than one transaction can check has the rest checked after its commit:
     * a collection that took one of those meanwhile makes the registration withdraw the path and fail.
     */
    @Test
    void aReferenceBeyondTheTransactionCollectedBeforeTheCommitWithdrawsThePath(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathRegistration plain = registration(stack, store, PathRegistration.Interleaving.NONE);
        TreeSet<StorePath> references = new TreeSet<>();
        List<PathInfo> libs = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            PathInfo lib = TestStore.signed("many-lib-" + i);
            libs.add(lib);
            references.add(lib.path());
        }
        register(store, plain, libs.subList(0, 60).toArray(PathInfo[]::new));
        register(store, plain, libs.subList(60, 120).toArray(PathInfo[]::new));
        // The transaction checks the first references in order; the last is checked only after the commit.
        StorePath unchecked = references.last();
        String session = "many-" + unchecked.hashPart();
        store.tables.roots().addTempRoots(session, references.headSet(unchecked), now() + LEASE);
        PathInfo app = TestStore.signed("app-of-many", references.toArray(StorePath[]::new));
        PathRegistration registration = registration(stack, store, new PathRegistration.Interleaving() {
            @Override
            public void committing(List<PathInfo> paths) {
                GarbageCollected collected = collector(store, GarbageCollector.Interleaving.NONE).collect(deleteDead());
                assertTrue(collected.paths().contains(TestStore.print(unchecked)), "the unrooted reference was collected");
                assertFalse(collected.paths().contains(TestStore.print(references.first())));
            }
        });
        MissingReferenceException e = assertThrows(MissingReferenceException.class, () -> register(store, registration, app));
        assertTrue(e.getMessage().contains("the reference '" + TestStore.print(unchecked)
                + "' was garbage-collected while they were registered"), e.getMessage());
        assertFalse(store.valid(app.path()), "the path was withdrawn");
        assertEquals(119, store.tables.paths().valid(references).size());
        store.tables.roots().release(session);
    }

    /**
     * A collection that stops after marking (a killed process, a frozen invocation) holds its marks
     * while its lease holds; once the lease has run out the next collection abandons it, takes its
     * marks over and deletes the paths, and the stopped collection, resumed, deletes nothing more.
     */
    @Test
    void aCollectionThatStoppedWhileDeletingIsTakenOverOnceItsLeaseRanOut(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        PathInfo lib = TestStore.signed("lib-of-stopped-collection");
        PathInfo app = TestStore.signed("app-of-stopped-collection", lib.path());
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), lib, app);
        CountDownLatch stopped = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        CompletableFuture<GarbageCollected> first = CompletableFuture.supplyAsync(() -> collector(store,
                new GarbageCollector.Interleaving() {
                    @Override
                    public void marked(List<StorePath> marked) {
                        stopped.countDown();
                        await(resume);
                    }
                }).collect(deleteDead()));
        try {
            assertTrue(stopped.await(60, TimeUnit.SECONDS), "the first collection marked");
            CollectionState firstState = state(store, markOf(store, lib.path()).orElseThrow());
            assertEquals(CollectionState.DELETING, firstState.phase());
            assertTrue(firstState.marked() >= 2, firstState.toString());

            GarbageCollected meanwhile = collector(store, GarbageCollector.Interleaving.NONE).collect(deleteDead());
            assertFalse(meanwhile.paths().contains(TestStore.print(lib.path())), "marks under a lease were taken");
            assertTrue(store.valid(lib.path()) && store.valid(app.path()));

            Clock afterLease = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(Deletions.LEASE_SECONDS + 1));
            GarbageCollected takeover = new TestCollectionSteps.Collector(GarbageCollector.Interleaving.NONE, store, afterLease)
                    .collect(deleteDead());
            assertTrue(takeover.paths().containsAll(List.of(TestStore.print(lib.path()), TestStore.print(app.path()))),
                    takeover.paths().toString());
            assertFalse(store.valid(lib.path()) || store.valid(app.path()));
            assertEquals(CollectionState.ABANDONED, state(store, firstState.id()).phase());

            // The abandoned collection can delete nothing more, even a path that carries its mark.
            PathInfo late = TestStore.signed("marked-by-abandoned");
            register(store, registration(stack, store, PathRegistration.Interleaving.NONE), late);
            setMark(store, late.path(), firstState.id());
            assertThrows(RootsTable.CollectionLostException.class,
                    () -> store.tables.deleteMarked(List.of(late.path().hashPart()), firstState.id()));
            assertTrue(store.valid(late.path()));
            store.tables.paths().unmark(late.path().hashPart(), firstState.id());
            assertUnmarked(store, late.path());
        } finally {
            resume.countDown();
        }
        ExecutionException resumed = assertThrows(ExecutionException.class, () -> first.get(60, TimeUnit.SECONDS));
        assertTrue(resumed.getCause().getMessage().contains("was taken over by another"), resumed.getCause().toString());
        assertEquals(CollectionState.ABANDONED, state(store, resumed.getCause().getMessage().split(" ")[1]).phase());
    }

    /** A collection that fails after marking records it, and the next takes its marks over at once. */
    @Test
    void theMarksOfACollectionThatFailedAreTakenOverByTheNext(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo p = TestStore.signed("marked-by-failed-collection");
        register(store, registration(stack, store, PathRegistration.Interleaving.NONE), p);
        TestCollectionSteps.Collector failing = collector(store, new GarbageCollector.Interleaving() {
            @Override
            public void marked(List<StorePath> marked) {
                assertTrue(marked.contains(p.path()));
                throw new IllegalStateException("failed after marking");
            }
        });
        RuntimeException failure = assertThrows(RuntimeException.class, () -> failing.collect(deleteDead()));
        assertEquals("failed after marking", failure.getMessage());
        // The collection its steps belong to (another may have started in the same second).
        CollectionState failed = state(store, failing.steps().taken.getFirst().gc());
        assertEquals(CollectionState.FAILED, failed.phase(), failed.toString());
        assertEquals("failed after marking", failed.error());
        assertTrue(store.valid(p.path()));

        GarbageCollected next = collector(store, GarbageCollector.Interleaving.NONE).collect(deleteDead());
        assertTrue(next.paths().contains(TestStore.print(p.path())), next.paths().toString());
        assertFalse(store.valid(p.path()));
    }

    private static CollectionState state(TestStore store, String gc) {
        return store.tables.roots().collections().stream().filter(c -> c.id().equals(gc)).findFirst().orElseThrow();
    }

    private static PathRegistration registration(LocalStack stack, TestStore store, PathRegistration.Interleaving at) {
        FunctionsConfig config = new FunctionsConfig(TestStore.STORE, stack.config().resourcePrefix(),
                List.of(TestStore.TRUSTED.publicKey()), List.of());
        return new PathRegistration(store.tables, store.bucket, config, Clock.systemUTC(), at);
    }

    private static TestCollectionSteps.Collector collector(TestStore store, GarbageCollector.Interleaving at) {
        return new TestCollectionSteps.Collector(at, store, Clock.systemUTC());
    }

    private static void register(TestStore store, PathRegistration registration, PathInfo... infos) {
        List<PathRegistration.Candidate> batch = new ArrayList<>();
        for (PathInfo info : infos) {
            batch.add(new PathRegistration.Candidate(info, Optional.empty(), Optional.empty()));
        }
        PathRegistration.Result result = registration.register(false, true, batch);
        assertEquals(infos.length, result.registered().size() + result.alreadyValid().size());
    }

    private static CollectGarbage deleteDead() {
        return CollectGarbage.wholeStore(CollectGarbage.DELETE_DEAD, -1, -1);
    }

    /** No collection's mark is left on {@code path}. */
    private static void assertUnmarked(TestStore store, StorePath path) {
        assertEquals(Optional.empty(), markOf(store, path), "a collection's mark was left on " + path);
    }

    /** The id of the collection that marked {@code path}, read from its item. */
    static Optional<String> markOf(TestStore store, StorePath path) {
        Map<String, AttributeValue> item = store.stack.clients().dynamoDb().getItem(g -> g.consistentRead(true)
                .tableName(CloudResources.PATHS.physicalName(store.stack.config().resourcePrefix()))
                .key(Map.of("hashPart", AttributeValue.fromS(path.hashPart())))).item();
        assertTrue(item != null && !item.isEmpty(), path + " is not valid");
        return Optional.ofNullable(item.get("gcPending")).map(AttributeValue::s);
    }

    /** Marks {@code path} as collection {@code gc} would have. */
    private static void setMark(TestStore store, StorePath path, String gc) {
        store.stack.clients().dynamoDb().updateItem(u -> u
                .tableName(CloudResources.PATHS.physicalName(store.stack.config().resourcePrefix()))
                .key(Map.of("hashPart", AttributeValue.fromS(path.hashPart()))).updateExpression("SET gcPending = :gc")
                .expressionAttributeValues(Map.of(":gc", AttributeValue.fromS(gc))));
    }

    private static long now() {
        return Clock.systemUTC().instant().getEpochSecond();
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS), "the other side never reached its point");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
