package dev.cumulus.functions;

import static dev.cumulus.functions.TestStore.STORE;
import static dev.cumulus.functions.TestStore.print;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.functions.dashboard.Dashboard;
import dev.cumulus.functions.tables.StoreStatsTable;
import dev.cumulus.localstack.LocalStack;
import dev.cumulus.localstack.LocalStackExtension;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.GarbageCollection;
import dev.cumulus.model.event.RootEvents.CollectGarbage;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.metrics.MetricsRegistry;
import dev.cumulus.model.metrics.StoreMetrics;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StorePath;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The dashboard's pages over the local stack's tables, and the metrics the functions report. */
@ExtendWith(LocalStackExtension.class)
class DashboardTest {
    private static Dashboard dashboard(TestStore store, MetricsRegistry metrics) {
        return new Dashboard(store.tables, store.bucket, STORE, Clock.systemUTC(), Optional.of(metrics));
    }

    private static Dashboard.Response get(Dashboard d, String path, Map<String, String> query) {
        return d.handle(new Dashboard.Request("GET", path, query));
    }

    private static String page(Dashboard d, String path, Map<String, String> query) {
        Dashboard.Response r = get(d, path, query);
        assertEquals(200, r.status(), () -> path + ": " + new String(r.body(), StandardCharsets.UTF_8));
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static BuildState build(String name, long submittedAt) {
        StorePath drv = TestStore.randomPath(name + ".drv");
        return new BuildState(drv.hashPart(), print(drv), BuildState.QUEUED, null, null, Map.of("out", print(TestStore.randomPath(name))),
                Map.of(), 0, submittedAt, 0, 0, "default", null, 1, List.of(), 0);
    }

    @Test
    void buildsAreListedByStateNewestFirstAPageAtATimeAndEverythingFromUsersIsText(LocalStack stack) {
        TestStore store = new TestStore(stack);
        Dashboard d = dashboard(store, new MetricsRegistry());
        // As a submitter that got past the checks could write it: markup in the derivation's name.
        StorePath drv = new StorePath(TestStore.randomPath("x").hashPart(), "x");
        BuildState hostile = new BuildState(drv.hashPart(), STORE.path() + "/" + drv.hashPart() + "-<script>alert(1)</script>.drv",
                BuildState.QUEUED, null, null, Map.of(), Map.of(), 0, 4_000_000_000L, 0, 0, "default", null, 1, List.of(), 0);
        store.tables.builds().putIfNotOutstanding(hostile, List.of());
        store.tables.builds().finish(hostile.id(), BuildState.FAILED, "PermanentFailure", "it <b>failed</b>", Map.of(),
                4_000_000_010L, 4_100_000_000L);
        store.tables.buildLogs().put(hostile.id(), 1_000_000, List.of("compiling", "<script>document.title='pwned'</script>"),
                4_100_000_000L);

        String overview = page(d, "/", Map.of());
        assertTrue(overview.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), overview);
        assertFalse(overview.contains("<script>alert(1)"), overview);
        String buildPage = page(d, "/builds/" + hostile.id(), Map.of());
        assertTrue(buildPage.contains("it &lt;b&gt;failed&lt;/b&gt;"), buildPage);
        assertTrue(buildPage.contains("compiling\n&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"), buildPage);
        assertFalse(buildPage.contains("<script>document.title"), buildPage);
        assertFalse(buildPage.contains("<script>"), "a finished build's page has no script at all");

        // 55 queued builds: the first page holds the newest 50, the next the 5 before them.
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 55; i++) {
            BuildState b = build("paged-" + i, 3_000_000_000L + i);
            store.tables.builds().putIfNotOutstanding(b, List.of());
            ids.addFirst(b.id());
        }
        String first = page(d, "/builds", Map.of("state", "queued"));
        List<String> listed = new ArrayList<>(linked(first, "/builds/([0-9a-z]{32})"));
        Matcher older = Pattern.compile("href=\"/builds\\?state=queued&amp;after=([^\"]+)\"").matcher(first);
        assertTrue(older.find(), first);
        String second = page(d, "/builds", Map.of("state", "queued", "after",
                java.net.URLDecoder.decode(older.group(1), StandardCharsets.UTF_8)));
        listed.addAll(linked(second, "/builds/([0-9a-z]{32})"));
        assertEquals(ids, listed.stream().filter(ids::contains).toList(), "newest first, each once");
        assertEquals(400, get(d, "/builds", Map.of("state", "<nonsense>")).status());
        assertEquals(404, get(d, "/builds/" + "0".repeat(32), Map.of()).status());
        assertEquals(405, d.handle(new Dashboard.Request("POST", "/", Map.of())).status());
    }

    /** A running build's page carries its log so far and the script that fetches what follows from /log. */
    @Test
    void aRunningBuildsLogIsTailedFromWhereThePageLeftOff(LocalStack stack) {
        TestStore store = new TestStore(stack);
        Dashboard d = dashboard(store, new MetricsRegistry());
        BuildState running = build("tailed", 2_000_000_000L);
        store.tables.builds().putIfNotOutstanding(running, List.of());
        assertTrue(store.tables.builds().start(running.id(), "runner-7", 1, 2_000_000_001L));
        store.tables.buildLogs().put(running.id(), 1_000_000, List.of("first"), 2_100_000_000L);
        String page = page(d, "/builds/" + running.id(), Map.of());
        assertTrue(page.contains("data-next=\"1000001\">first</pre><script>"), page);
        Dashboard.Response nothingYet = get(d, "/builds/" + running.id() + "/log", Map.of("from", "1000001"));
        assertEquals("", new String(nothingYet.body(), StandardCharsets.UTF_8));
        assertEquals("1000001", nothingYet.headers().get("X-Log-Next"));
        store.tables.buildLogs().put(running.id(), 1_000_001, List.of("second", "<third>"), 2_100_000_000L);
        Dashboard.Response more = get(d, "/builds/" + running.id() + "/log", Map.of("from", "1000001"));
        assertEquals("second\n<third>", new String(more.body(), StandardCharsets.UTF_8));
        assertEquals("text/plain; charset=utf-8", more.contentType(), "text the script appends as a text node");
        assertEquals("1000002", more.headers().get("X-Log-Next"));
        assertEquals(BuildState.RUNNING, more.headers().get("X-Build-State"));
        assertEquals(400, get(d, "/builds/" + running.id() + "/log", Map.of("from", "x")).status());
    }

    private static List<String> linked(String html, String hrefPattern) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("href=\"" + hrefPattern + "\"").matcher(html);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void aPathsPageShowsItsClosureReferencesReferrersAndTheStoreTotalsFollowUploadsAndCollections(LocalStack stack) {
        TestStore store = new TestStore(stack);
        MetricsRegistry metrics = new MetricsRegistry();
        TestCollectionSteps steps = new TestCollectionSteps();
        StoreFunctions functions = new StoreFunctions(store.tables, store.bucket, new FunctionsConfig(STORE,
                stack.config().resourcePrefix(), List.of(TestStore.TRUSTED.publicKey()), List.of()),
                StoreQueues.none().withCollectionSteps(steps), Clock.systemUTC(), metrics);
        StoreFunctionClient metered = new StoreFunctionClient(new InProcessInvoker(functions));
        Dashboard d = dashboard(store, metrics);
        StoreStatsTable.Totals before = store.tables.stats().totals();
        PathInfo dep = TestStore.signed("dash-dep");
        PathInfo top = TestStore.signed("dash-top", dep.path());
        functions.registerPaths(new dev.cumulus.model.event.Requests.RegisterPaths(false, true,
                List.of(TestStore.newPath(dep), TestStore.newPath(top))));
        StoreStatsTable.Totals after = store.tables.stats().totals();
        assertEquals(before.paths() + 2, after.paths());
        assertEquals(before.narBytes() + dep.narSize() + top.narSize(), after.narBytes());
        assertEquals(2, metrics.value(StoreMetrics.UPLOADED_PATHS));
        assertEquals(dep.narSize() + top.narSize(), metrics.value(StoreMetrics.UPLOADED_BYTES));

        String topPage = page(d, "/paths/" + top.path().hashPart(), Map.of());
        assertTrue(topPage.contains(">2 paths, "), "the closure: itself and its reference: " + topPage);
        assertTrue(topPage.contains("href=\"/paths/" + dep.path().hashPart() + "\""), topPage);
        String depPage = page(d, "/paths/" + dep.path().hashPart(), Map.of());
        assertTrue(depPage.contains("Referrers (1)") && depPage.contains(print(top.path())), depPage);
        assertTrue(depPage.contains(">1 path, "), depPage);
        Dashboard.Response found = get(d, "/search", Map.of("q", print(top.path())));
        assertEquals(303, found.status());
        assertEquals("/paths/" + top.path().hashPart(), found.headers().get("Location"));
        assertEquals(303, get(d, "/search", Map.of("q", top.path().hashPart())).status());
        assertEquals(404, get(d, "/search", Map.of("q", TestStore.randomPath("gone").hashPart())).status());
        assertTrue(page(d, "/store", Map.of()).contains(print(top.path())), "among the recent uploads");

        store.tables.roots().putNamed("dash-root", dep.path());
        GarbageCollection.run(metered, new CollectGarbage(CollectGarbage.DELETE_SPECIFIC, List.of(print(top.path())), false,
                -1, -1), true, state -> steps.drain(step -> TestStore.runStep(metered, step)));
        assertEquals(after.paths() - 1, store.tables.stats().totals().paths());
        assertEquals(1, metrics.value(StoreMetrics.GC_RUNS, "done"));
        assertEquals(1, metrics.value(StoreMetrics.GC_FREED_PATHS));
        assertEquals(top.narSize(), metrics.value(StoreMetrics.GC_FREED_BYTES));
        String gc = page(d, "/gc", Map.of());
        assertTrue(gc.contains("dash-root") && gc.contains(print(dep.path())), gc);
        assertTrue(gc.contains("<td>done</td>"), gc);
        // A function that fails is counted under its name, as Lambda counts its errors.
        org.junit.jupiter.api.Assertions.assertThrows(dev.cumulus.model.event.FunctionFailedException.class,
                () -> new InProcessInvoker(functions).invoke("add-signatures", "{}".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, metrics.value(StoreMetrics.ERRORS, "add-signatures"));
        String metricsText = page(d, "/metrics", Map.of());
        assertTrue(metricsText.contains("cumulus_gc_freed_paths_total 1\n"), metricsText);
        assertTrue(metricsText.contains("# TYPE cumulus_upload_path_seconds histogram"), metricsText);
    }
}
