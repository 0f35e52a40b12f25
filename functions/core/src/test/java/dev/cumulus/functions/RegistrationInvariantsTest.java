package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static dev.cumulus.functions.TestStore.contentAddressed;
import static dev.cumulus.functions.TestStore.print;
import static dev.cumulus.functions.TestStore.signed;
import static dev.cumulus.functions.TestStore.unsigned;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.functions.tables.PathInfoTable;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.NewPath;
import dev.cumulus.model.event.PathInfoEvent;
import dev.cumulus.model.event.Requests.RegisterPaths;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.Registered;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LocalStackExtension.class)
class RegistrationInvariantsTest {

    @Test
    void aMissingReferenceFailsTheWholeBatch(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo a = signed("a");
        PathInfo b = signed("b", a.path());
        PathInfo c = signed("c", b.path(), TestStore.randomPath("never-added"));
        var e = assertThrows(FunctionFailedException.class, () -> store.register(a, b, c));
        assertTrue(e.getMessage().contains("never-added") && e.getMessage().contains("is not valid"), e.getMessage());
        for (PathInfo p : List.of(a, b, c)) {
            assertFalse(store.valid(p.path()), "nothing of a failed batch is valid");
        }
        // No edge of the failed batch shows through QueryReferrers either.
        assertEquals(List.of(), store.client.call(StoreFunction.QUERY_REFERRERS, new PathQuery(print(a.path()))).paths());
    }

    /**
     * A path's references are part of its item in the paths table, and DynamoDB takes no item over
     * 400 KB: the size rule is checked against DynamoDB Local to one reference; the largest item a
     * registration accepts still takes a collection's mark; a path with more references is refused
     * by name, and nothing of its batch is registered.
     */
    @Test
    void aPathWithMoreReferencesThanOneItemHoldsIsRefusedByName(LocalStack stack) {
        TestStore store = new TestStore(stack);
        var db = store.stack.clients().dynamoDb();
        List<StorePath> refs = new ArrayList<>();
        for (int i = 0; i < 12_000; i++) {
            refs.add(TestStore.randomPath("reference-" + i));
        }
        int most = most(refs, PathInfoTable.ITEM_LIMIT);
        assertTrue(most > 5_000 && most < 10_000, "about 7,500 references of these names make 400 KB: " + most);
        StoredPath largest = stored(refs.subList(0, most));
        db.transactWriteItems(b -> b.transactItems(store.tables.paths().putIfAbsent(largest)));
        assertThrows(software.amazon.awssdk.services.dynamodb.model.DynamoDbException.class,
                () -> db.transactWriteItems(b -> b.transactItems(store.tables.paths().putIfAbsent(stored(refs.subList(0, most + 1))))),
                "DynamoDB Local refuses one reference more");
        store.tables.paths().withdraw(largest.info().path().hashPart(), largest.info().registrationTime());

        // The largest a registration accepts leaves room for a collection's mark (and more).
        int accepted = most(refs, PathInfoTable.ITEM_LIMIT - PathInfoTable.ROOM_TO_GROW);
        StoredPath fitting = stored(refs.subList(0, accepted));
        assertTrue(PathInfoTable.fits(fitting) && !PathInfoTable.fits(stored(refs.subList(0, accepted + 1))));
        db.transactWriteItems(b -> b.transactItems(store.tables.paths().putIfAbsent(fitting)));
        db.updateItem(u -> u.tableName(CloudResources.PATHS.physicalName(stack.config().resourcePrefix()))
                .key(Map.of("hashPart", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(
                        fitting.info().path().hashPart())))
                .updateExpression("SET gcPending = :gc").expressionAttributeValues(Map.of(":gc",
                        software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("gc-1796638220-f09f0fd11e37bb57"))));
        store.tables.paths().withdraw(fitting.info().path().hashPart(), fitting.info().registrationTime());

        PathInfo bystander = signed("bystander");
        // A hundred references more: over the limit whatever the NAR's location and signatures add.
        PathInfo wide = signed("wide", refs.subList(0, accepted + 100).toArray(StorePath[]::new));
        var e = assertThrows(FunctionFailedException.class, () -> store.register(bystander, wide));
        assertTrue(e.getMessage().contains("cannot add path '" + print(wide.path()) + "': its " + (accepted + 100) + " references")
                && e.getMessage().contains("400 KB"), e.getMessage());
        assertFalse(store.valid(bystander.path()), "nothing of the batch is registered");
    }

    /** The most of {@code refs} a path's item can have within {@code limit} bytes, found by halving. */
    private static int most(List<StorePath> refs, int limit) {
        int low = 0;
        int high = refs.size();
        while (low < high) {
            int mid = (low + high + 1) / 2;
            if (PathInfoTable.itemSize(stored(refs.subList(0, mid))) <= limit) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    private static StoredPath stored(List<StorePath> references) {
        PathInfo info = signed("wide", references.toArray(StorePath[]::new));
        return new StoredPath(new PathInfo(info.path(), info.deriver(), info.narHash(), info.narSize(), info.references(),
                1_700_000_000, false, info.signatures(), info.ca()),
                Optional.of(new NarObject("nar/" + "0".repeat(52) + ".nar.zst", "zstd", "0".repeat(52), 1234)));
    }

    @Test
    void aConflictingPathFailsTheWholeBatchAndTheSameOneIsANoOp(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo first = signed("first");
        store.register(first);
        long registered = store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(first.path()))).info()
                .registrationTime();

        PathInfo again = first; // same NAR hash: nothing to do
        PathInfo sibling = signed("sibling");
        Registered r = store.register(again, sibling);
        assertEquals(List.of(print(sibling.path())), r.registered());
        assertEquals(List.of(print(first.path())), r.alreadyValid());
        assertEquals(registered, store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(first.path())))
                .info().registrationTime());

        PathInfo changed = new PathInfo(first.path(), first.deriver(), Hash.sha256("other content"), first.narSize(),
                first.references(), 0, false, List.of(), first.ca()).sign(STORE, TestStore.TRUSTED);
        PathInfo bystander = signed("bystander");
        var e = assertThrows(FunctionFailedException.class, () -> store.register(bystander, changed));
        assertTrue(e.getMessage().contains("already valid with NAR hash"), e.getMessage());
        assertFalse(store.valid(bystander.path()));
    }

    @Test
    void signaturesAsInNix(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo bare = unsigned("bare");
        var e = assertThrows(FunctionFailedException.class, () -> store.register(false, true, bare));
        assertTrue(e.getMessage().contains("lacks a signature by a trusted key"), e.getMessage());
        // An untrusted caller cannot waive the check.
        assertThrows(FunctionFailedException.class, () -> store.register(false, false, bare));
        PathInfo strangers = unsigned("strangers").sign(STORE, TestStore.STRANGER);
        assertThrows(FunctionFailedException.class, () -> store.register(false, true, strangers));
        // Content-addressed paths need no signature; a trusted caller may waive the check.
        PathInfo source = contentAddressed("source");
        store.register(false, true, source);
        store.register(true, false, bare);
        assertTrue(store.valid(source.path()));
        assertTrue(store.valid(bare.path()));
        // A path that claims a content address it does not have is input-addressed.
        PathInfo liar = unsigned("liar").withCa(source.ca());
        assertThrows(FunctionFailedException.class, () -> store.register(false, true, liar));
    }

    /** The store's own signature is added after the check: it cannot stand in for a trusted one. */
    @Test
    void storeSignaturesAreAddedNotCounted(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo bare = unsigned("store-signed");
        String ours = bare.sign(STORE, TestStore.TRUSTED).signatures().getLast().render();
        NewPath withOurs = new NewPath(PathInfoEvent.of(STORE, bare), null, Map.of(), List.of(ours));
        var e = assertThrows(FunctionFailedException.class, () -> store.client.call(StoreFunction.REGISTER_PATHS,
                new RegisterPaths(false, true, List.of(withOurs))));
        assertTrue(e.getMessage().contains("lacks a signature by a trusted key"), e.getMessage());
        assertFalse(store.valid(bare.path()));

        PathInfo strangers = unsigned("store-signed-too").sign(STORE, TestStore.STRANGER);
        String ours2 = strangers.sign(STORE, TestStore.TRUSTED).signatures().getLast().render();
        store.client.call(StoreFunction.REGISTER_PATHS, new RegisterPaths(true, false,
                List.of(new NewPath(PathInfoEvent.of(STORE, strangers), null, Map.of(), List.of(ours2)))));
        assertEquals(List.of(strangers.signatures().getFirst().render(), ours2),
                store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(strangers.path()))).info().signatures());
    }

    @Test
    void referrerEdgesAreKeptWhetherTheyFitTheBatchsTransactionOrGoBeforeIt(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo base = signed("edges-base");
        store.register(base);
        PathInfo few = signed("edges-few", base.path());
        store.register(few); // one path, one check, one edge: all in one transaction
        PathInfo[] many = new PathInfo[60]; // 60 paths, a check and 60 edges: more than one transaction holds
        for (int i = 0; i < many.length; i++) {
            many[i] = signed("edges-many-" + i, base.path());
        }
        store.register(many);
        java.util.Set<String> expected = new java.util.TreeSet<>();
        expected.add(print(few.path()));
        for (PathInfo p : many) {
            expected.add(print(p.path()));
        }
        assertEquals(expected, new java.util.TreeSet<>(store.client.call(StoreFunction.QUERY_REFERRERS,
                new PathQuery(print(base.path()))).paths()));
    }

    @Test
    void batchesAreBoundedByOneTransaction(LocalStack stack) {
        TestStore store = new TestStore(stack);
        PathInfo[] many = new PathInfo[PathRegistration.MAX_BATCH + 1];
        for (int i = 0; i < many.length; i++) {
            many[i] = signed("many-" + i);
        }
        var e = assertThrows(FunctionFailedException.class, () -> store.register(many));
        assertTrue(e.getMessage().contains("at most 100"), e.getMessage());
        assertFalse(store.valid(many[0].path()));
        store.register(java.util.Arrays.copyOf(many, PathRegistration.MAX_BATCH));
        assertTrue(store.valid(many[PathRegistration.MAX_BATCH - 1].path()));
    }

    /**
     * 16 callers register overlapping closures of one graph at once, each in its own order of
     * batches. Every path of every closure ends up valid, and registered by exactly one of them.
     */
    @Test
    void concurrentOverlappingClosuresRegisterEachPathOnce(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        List<PathInfo> graph = new ArrayList<>();
        Random random = new Random(42);
        for (int i = 0; i < 60; i++) {
            List<StorePath> refs = new ArrayList<>();
            for (int j = 0; j < 3 && i > 0; j++) {
                refs.add(graph.get(random.nextInt(i)).path());
            }
            graph.add(signed("node-" + i, refs.toArray(StorePath[]::new)));
        }
        int callers = 16;
        CyclicBarrier start = new CyclicBarrier(callers);
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        List<Future<List<String>>> results = new ArrayList<>();
        java.util.Set<String> union = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (int t = 0; t < callers; t++) {
            int seed = t;
            results.add(pool.submit((Callable<List<String>>) () -> {
                // The closure of a random top path, in topological order, sent in batches of 5.
                Random r = new Random(seed);
                int top = 30 + r.nextInt(30);
                List<PathInfo> closure = closure(graph, graph.get(top));
                closure.forEach(p -> union.add(print(p.path())));
                List<String> mine = new ArrayList<>();
                start.await();
                for (int from = 0; from < closure.size(); from += 5) {
                    Registered reg = store.register(closure.subList(from, Math.min(closure.size(), from + 5))
                            .toArray(PathInfo[]::new));
                    mine.addAll(reg.registered());
                }
                return mine;
            }));
        }
        Map<String, Integer> registrations = new HashMap<>();
        for (Future<List<String>> f : results) {
            for (String p : f.get()) {
                registrations.merge(p, 1, Integer::sum);
            }
        }
        pool.shutdown();
        for (Map.Entry<String, Integer> e : registrations.entrySet()) {
            assertEquals(1, e.getValue(), e.getKey() + " was registered by one caller only");
        }
        // Every path any caller sent was registered by one of them (none lost as "someone else's"), and is valid.
        assertEquals(new java.util.TreeSet<>(union), new java.util.TreeSet<>(registrations.keySet()));
        for (String p : union) {
            assertTrue(store.valid(STORE.parse(p)), p);
        }
    }

    /**
     * A batch racing another registration of one of its paths with different content: whichever
     * wins, the loser leaves nothing, and the batch is never half there.
     */
    @Test
    void aBatchLosingARaceLeavesNothing(LocalStack stack) throws Exception {
        TestStore store = new TestStore(stack);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        for (int round = 0; round < 20; round++) {
            PathInfo contested = signed("contested");
            PathInfo rival = new PathInfo(contested.path(), contested.deriver(), Hash.sha256("rival " + round),
                    contested.narSize(), contested.references(), 0, false, List.of(), contested.ca())
                    .sign(STORE, TestStore.TRUSTED);
            List<PathInfo> batch = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                batch.add(signed("member-" + i));
            }
            batch.add(contested);
            Collections.shuffle(batch, new Random(round));
            CyclicBarrier go = new CyclicBarrier(2);
            Future<Boolean> big = pool.submit(() -> {
                go.await();
                try {
                    store.register(batch.toArray(PathInfo[]::new));
                    return true;
                } catch (FunctionFailedException lost) {
                    assertLostTheRace(lost);
                    return false;
                }
            });
            Future<Boolean> single = pool.submit(() -> {
                go.await();
                try {
                    store.register(rival);
                    return true;
                } catch (FunctionFailedException lost) {
                    assertLostTheRace(lost);
                    return false;
                }
            });
            boolean bigWon = big.get();
            boolean singleWon = single.get();
            assertTrue(bigWon ^ singleWon, "exactly one registration of the contested path wins");
            for (PathInfo p : batch) {
                if (p != contested) {
                    assertEquals(bigWon, store.valid(p.path()), "the batch is all there or not at all");
                }
            }
            Hash stored = store.client.call(StoreFunction.QUERY_PATH_INFO, new PathQuery(print(contested.path()))).info()
                    .toPathInfo(STORE).narHash();
            assertEquals(bigWon ? contested.narHash() : rival.narHash(), stored);
        }
        pool.shutdown();
    }

    /** The loser of the race fails because the contested path is valid with the other content, for no other reason. */
    private static void assertLostTheRace(FunctionFailedException lost) {
        assertTrue(lost.getMessage().contains("is already valid with NAR hash"), lost.getMessage());
    }

    private static List<PathInfo> closure(List<PathInfo> graph, PathInfo top) {
        Map<StorePath, PathInfo> byPath = new HashMap<>();
        graph.forEach(p -> byPath.put(p.path(), p));
        List<PathInfo> order = new ArrayList<>();
        visit(top, byPath, new java.util.HashSet<>(), order);
        return order;
    }

    private static void visit(PathInfo p, Map<StorePath, PathInfo> byPath, java.util.Set<StorePath> seen,
                              List<PathInfo> order) {
        if (!seen.add(p.path())) {
            return;
        }
        for (StorePath r : p.references()) {
            visit(byPath.get(r), byPath, seen, order);
        }
        order.add(p);
    }
}
