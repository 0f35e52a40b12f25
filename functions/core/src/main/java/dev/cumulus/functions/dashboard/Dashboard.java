package dev.cumulus.functions.dashboard;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.tables.BuildsTable;
import dev.cumulus.functions.tables.StoreStatsTable;
import dev.cumulus.functions.tables.StoreTables;
import dev.cumulus.functions.tables.StoredPath;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.event.BuildEvents.BuildState;
import dev.cumulus.model.event.RootEvents.CollectionState;
import dev.cumulus.model.metrics.MetricsRegistry;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The read-only web dashboard: builds (queued, running with their live log, finished, failed), the
 * store (totals, recent uploads, a path's page with its closure, references, referrers, deriver and
 * the builds that made it), GC roots and collections, and a search. Plain server-rendered HTML that
 * needs no JavaScript but for the live tail of a running build's log; every page is a few queries.
 * {@code cumulus local} serves it over HTTP on loopback, with {@code /metrics}; in AWS a function
 * behind an IAM-authenticated function URL serves the same pages.
 */
public final class Dashboard {
    private static final Logger LOG = Logger.getLogger(Dashboard.class.getName());
    static final int PAGE = 50;
    private static final int SECTION = 10;
    private static final List<String> STATES = List.of(BuildState.RUNNING, BuildState.QUEUED, BuildState.FAILED,
            BuildState.BUILT);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final Pattern ID = Pattern.compile("[0-9a-z]{32}");

    private final StoreView store;
    private final Optional<MetricsRegistry> metrics;

    public Dashboard(StoreTables tables, Bucket bucket, StoreDir storeDir, Clock clock, Optional<MetricsRegistry> metrics) {
        this.store = new StoreView(tables, bucket, storeDir, clock);
        this.metrics = metrics;
    }

    /**
     * The dashboard of the installation whose resources share {@code prefix}, on the system clock,
     * serving {@code /metrics} from {@code metrics} when there is one (locally; in AWS, CloudWatch has them).
     */
    public static Dashboard of(AwsClients clients, String prefix, StoreDir storeDir, Optional<MetricsRegistry> metrics) {
        return new Dashboard(StoreTables.of(clients.dynamoDb(), prefix, storeDir),
                new S3Bucket(clients.s3(), CloudResources.STORE_BUCKET.physicalName(prefix)), storeDir, Clock.systemUTC(), metrics);
    }

    /** A GET request: its path and its query's parameters (decoded). */
    public record Request(String method, String path, Map<String, String> query) {
        /** A raw query string's parameters, decoded; the first of a repeated one counts. */
        public static Map<String, String> parseQuery(String raw) {
            Map<String, String> out = new LinkedHashMap<>();
            if (raw == null || raw.isEmpty()) {
                return out;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                out.putIfAbsent(URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        /** Every header to send: the page's own, its content type, and that no page is cached (they change as builds run). */
        public Map<String, String> allHeaders() {
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.put("Content-Type", contentType);
            all.put("Cache-Control", "no-store");
            return all;
        }

        static Response html(int status, String html) {
            return new Response(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), Map.of());
        }

        static Response text(int status, String text, Map<String, String> headers) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), headers);
        }

        static Response redirect(String location) {
            return new Response(303, "text/plain; charset=utf-8", new byte[0], Map.of("Location", location));
        }
    }

    public Response handle(Request request) {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return Response.text(405, "the dashboard is read-only\n", Map.of("Allow", "GET, HEAD"));
        }
        String path = request.path();
        try {
            if (path.equals("/")) {
                return Response.html(200, overview());
            }
            if (path.equals("/builds")) {
                return Response.html(200, builds(request.query().getOrDefault("state", BuildState.RUNNING),
                        Optional.ofNullable(request.query().get("after"))));
            }
            if (path.startsWith("/builds/") && path.endsWith("/log")) {
                return logTail(path.substring("/builds/".length(), path.length() - "/log".length()),
                        parseLong(request.query().getOrDefault("from", "0")));
            }
            if (path.startsWith("/builds/")) {
                return build(path.substring("/builds/".length()));
            }
            if (path.equals("/store")) {
                return Response.html(200, storePage());
            }
            if (path.startsWith("/paths/")) {
                return pathPage(path.substring("/paths/".length()));
            }
            if (path.equals("/gc")) {
                return Response.html(200, gcPage());
            }
            if (path.equals("/search")) {
                return search(request.query().getOrDefault("q", "").trim());
            }
            if (path.equals("/metrics") && metrics.isPresent()) {
                return new Response(200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.get().prometheusText().getBytes(StandardCharsets.UTF_8), Map.of());
            }
            return notFound("There is no page " + path + ".");
        } catch (IllegalArgumentException e) {
            return Response.html(400, layout("Bad request", new Html().element("p", e.getMessage())));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "dashboard page " + path + " failed", e);
            return Response.html(500, layout("Error", new Html().element("p", "This page could not be read: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()))));
        }
    }

    private String overview() {
        Html h = new Html();
        totals(h);
        for (String state : STATES) {
            BuildsTable.Page page = store.builds(state, Optional.empty(), SECTION);
            h.element("h2", title(state) + " builds");
            buildTable(h, page.builds());
            if (page.next().isPresent()) {
                h.open("p").link("/builds?state=" + state, "All " + state + " builds").close("p");
            }
        }
        h.element("h2", "Recent uploads");
        pathTable(h, store.recentPaths(SECTION));
        h.open("p").link("/store", "More uploads").close("p");
        return layout("Builds", h);
    }

    private static String title(String state) {
        return state.substring(0, 1).toUpperCase(Locale.ROOT) + state.substring(1);
    }

    private void totals(Html h) {
        StoreStatsTable.Totals totals = store.totals();
        h.element("p", "The store holds " + paths(totals.paths()) + ", " + bytes(totals.narBytes()) + " of NARs.",
                "class", "totals");
    }

    private String builds(String state, Optional<String> after) {
        if (!STATES.contains(state)) {
            throw new IllegalArgumentException("no build state '" + state + "'; the states are " + STATES);
        }
        Html h = new Html();
        h.open("p");
        for (String s : STATES) {
            if (s.equals(state)) {
                h.element("strong", s);
            } else {
                h.link("/builds?state=" + s, s);
            }
            h.text(" ");
        }
        h.close("p");
        BuildsTable.Page page = store.builds(state, after, PAGE);
        buildTable(h, page.builds());
        page.next().ifPresent(next -> h.open("p").link("/builds?state=" + state + "&after=" + encode(next), "Older").close("p"));
        return layout(title(state) + " builds", h);
    }

    private void buildTable(Html h, List<BuildState> builds) {
        if (builds.isEmpty()) {
            h.element("p", "None.", "class", "none");
            return;
        }
        h.open("table", "class", "builds").open("tr");
        for (String column : List.of("Derivation", "State", "Status", "Pool", "Runner", "Submitted", "Waited", "Ran")) {
            h.element("th", column);
        }
        h.close("tr");
        for (BuildState b : builds) {
            h.open("tr", "class", b.state());
            h.open("td").link("/builds/" + b.id(), drvName(b.drvPath())).open("br").element("small", b.drvPath()).close("td");
            h.cell(b.state());
            h.cell(b.status() == null ? "" : b.status());
            h.cell(b.pool() == null ? "" : b.pool());
            h.cell(b.runner() == null ? "" : b.runner());
            h.cell(time(b.submittedAt()));
            h.cell(b.startTime() > 0 ? seconds(b.startTime() - b.submittedAt()) : "");
            h.cell(b.startTime() > 0 && b.stopTime() >= b.startTime() ? seconds(b.stopTime() - b.startTime()) : "");
            h.close("tr");
        }
        h.close("table");
    }

    /** A derivation's name as people know it: its base name without the hash and {@code .drv}. */
    private String drvName(String drvPath) {
        String dir = store.storeDir().path() + "/";
        String base = drvPath.startsWith(dir) ? drvPath.substring(dir.length()) : drvPath.substring(drvPath.lastIndexOf('/') + 1);
        String name = base.length() > 33 ? base.substring(33) : base;
        return name.endsWith(".drv") ? name.substring(0, name.length() - 4) : name;
    }

    private Response build(String id) {
        if (!ID.matcher(id).matches()) {
            return notFound("There is no build " + id + ".");
        }
        Optional<BuildState> found = store.build(id);
        if (found.isEmpty()) {
            return notFound("There is no build " + id + " (finished builds are kept 30 days).");
        }
        BuildState b = found.get();
        Html h = new Html();
        h.open("table", "class", "details");
        detail(h, "Derivation", b.drvPath(), pathHref(b.drvPath()));
        detail(h, "State", b.state(), null);
        detail(h, "Status", b.status() == null ? "" : b.status(), null);
        if (b.error() != null) {
            detail(h, "Error", b.error(), null);
        }
        detail(h, "Pool", b.pool() == null ? "" : b.pool(), null);
        detail(h, "Runner", b.runner() == null ? "" : b.runner(), null);
        detail(h, "Attempts", String.valueOf(b.attempts()), null);
        detail(h, "Submitted", time(b.submittedAt()), null);
        detail(h, "Started", b.startTime() > 0 ? time(b.startTime()) : "", null);
        detail(h, "Stopped", b.stopTime() > 0 ? time(b.stopTime()) : "", null);
        h.close("table");
        h.element("h2", "Outputs");
        if (b.outputs().isEmpty()) {
            h.element("p", "None.", "class", "none");
        } else {
            h.open("table", "class", "outputs");
            b.outputs().forEach((name, path) -> h.row(() -> h.cell(name).linkCell(
                    b.state().equals(BuildState.BUILT) ? pathHref(path) : null, path)));
            h.close("table");
        }
        StoreView.Log log = store.log(b);
        h.element("h2", "Log");
        h.element("pre", String.join("\n", log.lines()), "id", "log", "data-build", b.id(),
                "data-next", b.finished() ? null : String.valueOf(log.next()));
        if (!b.finished()) {
            // The one script: the live tail of a running build (the page without it shows the log so far).
            h.markup("<script>" + LIVE_TAIL + "</script>");
        }
        return Response.html(200, layout("Build of " + drvName(b.drvPath()), h));
    }

    /** Appends what the build logged since, every two seconds, until it ends; then reloads for its outcome. */
    static final String LIVE_TAIL = """
            (function () {
              var pre = document.getElementById('log');
              function poll() {
                fetch('/builds/' + pre.dataset.build + '/log?from=' + pre.dataset.next).then(function (r) {
                  var state = r.headers.get('X-Build-State'), next = r.headers.get('X-Log-Next');
                  return r.text().then(function (text) {
                    if (text) { pre.appendChild(document.createTextNode((pre.textContent ? '\\n' : '') + text)); }
                    if (next) { pre.dataset.next = next; }
                    if (state === 'built' || state === 'failed') { location.reload(); } else { setTimeout(poll, 2000); }
                  });
                }).catch(function () { setTimeout(poll, 5000); });
              }
              setTimeout(poll, 2000);
            })();""";

    private Response logTail(String id, long from) {
        if (!ID.matcher(id).matches()) {
            return Response.text(404, "no such build\n", Map.of());
        }
        Optional<BuildState> found = store.build(id);
        if (found.isEmpty()) {
            return Response.text(404, "no such build\n", Map.of());
        }
        BuildState b = found.get();
        StoreView.Log log = store.logSince(b.id(), from);
        return Response.text(200, String.join("\n", log.lines()),
                Map.of("X-Log-Next", String.valueOf(log.next()), "X-Build-State", b.state()));
    }

    private String storePage() {
        Html h = new Html();
        totals(h);
        h.element("h2", "Recent uploads");
        pathTable(h, store.recentPaths(PAGE));
        return layout("Store", h);
    }

    private void pathTable(Html h, List<StoredPath> paths) {
        if (paths.isEmpty()) {
            h.element("p", "None in the last week.", "class", "none");
            return;
        }
        h.open("table", "class", "paths").open("tr").element("th", "Path").element("th", "NAR size")
                .element("th", "Registered").close("tr");
        for (StoredPath s : paths) {
            PathInfo info = s.info();
            h.row(() -> h.linkCell("/paths/" + info.path().hashPart(), store.storeDir().print(info.path()))
                    .cell(bytes(info.narSize())).cell(time(info.registrationTime())));
        }
        h.close("table");
    }

    private Response pathPage(String which) {
        String hashPart = hashPartOf(which);
        Optional<StoredPath> found = hashPart == null ? Optional.empty() : store.path(hashPart);
        if (found.isEmpty()) {
            return notFound("No valid path has the hash part " + which + ".");
        }
        StoredPath s = found.get();
        PathInfo info = s.info();
        StoreDir dir = store.storeDir();
        Html h = new Html();
        h.open("table", "class", "details");
        detail(h, "Path", dir.print(info.path()), null);
        detail(h, "NAR hash", info.narHash().toString(), null);
        detail(h, "NAR size", bytes(info.narSize()), null);
        StoreView.Closure closure = store.closure(s);
        detail(h, "Closure size", (closure.complete() ? "" : "more than ") + paths(closure.paths()) + ", "
                + bytes(closure.narBytes()), null);
        detail(h, "Registered", time(info.registrationTime()), null);
        detail(h, "Deriver", info.deriver().map(dir::print).orElse(""),
                info.deriver().map(d -> "/paths/" + d.hashPart()).orElse(null));
        info.ca().ifPresent(ca -> detail(h, "Content address", ca.render(), null));
        h.close("table");
        h.element("h2", "Signatures");
        h.open("ul");
        for (Signature sig : info.signatures()) {
            h.element("li", sig.render());
        }
        h.close("ul");
        pathList(h, "References", List.copyOf(info.references()));
        pathList(h, "Referrers", store.referrers(info.path()));
        if (info.path().isDerivation()) {
            h.element("h2", "Outputs and realisations");
            h.open("table", "class", "outputs");
            for (StoreView.Output o : store.outputs(info.path())) {
                h.row(() -> h.cell(o.name())
                        .linkCell(o.path().map(p -> "/paths/" + p.hashPart()).orElse(null), o.path().map(dir::print).orElse("(floating)"))
                        .cell(o.realisation().map(r -> "realised as " + dir.print(r.outPath())).orElse("")));
            }
            h.close("table");
            buildsOf(h, "Builds", dir.print(info.path()));
        } else if (info.deriver().isPresent()) {
            buildsOf(h, "Built by", dir.print(info.deriver().get()));
        }
        return Response.html(200, layout(info.path().name(), h));
    }

    private void buildsOf(Html h, String heading, String drvPath) {
        List<BuildState> builds = store.buildsOf(drvPath, SECTION);
        if (!builds.isEmpty()) {
            h.element("h2", heading);
            buildTable(h, builds);
        }
    }

    private void pathList(Html h, String heading, List<StorePath> paths) {
        h.element("h2", heading + " (" + paths.size() + ")");
        h.open("ul", "class", "paths");
        for (StorePath p : paths) {
            h.open("li").link("/paths/" + p.hashPart(), store.storeDir().print(p)).close("li");
        }
        h.close("ul");
    }

    private String gcPage() {
        Html h = new Html();
        h.element("h2", "Named roots");
        Map<String, StorePath> roots = store.namedRoots();
        if (roots.isEmpty()) {
            h.element("p", "None.", "class", "none");
        } else {
            h.open("table", "class", "roots");
            roots.forEach((name, path) -> h.row(() -> h.cell(name)
                    .linkCell("/paths/" + path.hashPart(), store.storeDir().print(path))));
            h.close("table");
        }
        h.element("h2", "Collections");
        List<CollectionState> collections = store.collections();
        if (collections.isEmpty()) {
            h.element("p", "None this week.", "class", "none");
        } else {
            h.open("table", "class", "collections").open("tr");
            for (String column : List.of("Started", "Phase", "Scanned", "Dead", "Deleted", "Freed", "Objects removed", "Error")) {
                h.element("th", column);
            }
            h.close("tr");
            for (CollectionState c : collections) {
                h.row(() -> h.cell(time(c.startedAt())).cell(c.phase()).cell(String.valueOf(c.scanned()))
                        .cell(String.valueOf(c.dead())).cell(String.valueOf(c.deleted())).cell(bytes(c.bytesFreed()))
                        .cell(String.valueOf(c.removedObjects())).cell(c.error() == null ? "" : c.error()));
            }
            h.close("table");
        }
        return layout("Garbage collection", h);
    }

    /** A build id, a store path, a base name or a hash part: to its page, or a page saying nothing matched. */
    private Response search(String q) {
        if (q.isEmpty()) {
            return Response.redirect("/");
        }
        if (ID.matcher(q).matches() && store.build(q).isPresent()) {
            return Response.redirect("/builds/" + q);
        }
        String hashPart = hashPartOf(q);
        if (hashPart != null && store.path(hashPart).isPresent()) {
            return Response.redirect("/paths/" + hashPart);
        }
        return notFound("Nothing matches " + q + ": search for a store path, its hash part or a build id.");
    }

    /** The hash part of a store path, base name or hash part; null if it is none of those. */
    private String hashPartOf(String s) {
        String base = s.startsWith(store.storeDir().path() + "/") ? s.substring(store.storeDir().path().length() + 1) : s;
        int slash = base.indexOf('/');
        if (slash >= 0) {
            base = base.substring(0, slash);
        }
        String hashPart = base.length() >= 32 ? base.substring(0, 32) : base;
        return ID.matcher(hashPart).matches() ? hashPart : null;
    }

    private Response notFound(String message) {
        return Response.html(404, layout("Not found", new Html().element("p", message)));
    }

    private void detail(Html h, String name, String value, String href) {
        h.row(() -> h.element("th", name).linkCell(href, value));
    }

    private String pathHref(String printed) {
        String hashPart = hashPartOf(printed);
        return hashPart == null ? null : "/paths/" + hashPart;
    }

    private static String layout(String title, Html body) {
        Html h = new Html();
        h.markup("<!DOCTYPE html>").open("html", "lang", "en").open("head").open("meta", "charset", "utf-8")
                .open("meta", "name", "viewport", "content", "width=device-width, initial-scale=1")
                .element("title", title + " · Cumulus").element("style", STYLE).close("head").open("body");
        h.open("nav").link("/", "Builds").text(" ").link("/store", "Store").text(" ").link("/gc", "GC").text(" ");
        h.open("form", "action", "/search", "method", "get").open("input", "name", "q", "type", "search",
                "placeholder", "store path, hash part or build id", "size", "40").markup("</form>").close("nav");
        h.element("h1", title);
        h.markup(body.toString());
        return h.close("body").close("html").toString();
    }

    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}nav a{margin-right:1em}nav form{display:inline}
            table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #ddd;
            vertical-align:top}pre{background:#f6f6f6;padding:.6em;overflow:auto;max-height:70vh}tr.failed td:nth-child(2)
            {color:#b00}tr.built td:nth-child(2){color:#070}.none{color:#777}""";

    static String paths(long n) {
        return n + (n == 1 ? " path" : " paths");
    }

    static String time(long epochSeconds) {
        return epochSeconds <= 0 ? "" : TIME.format(Instant.ofEpochSecond(epochSeconds));
    }

    static String seconds(long s) {
        return s < 60 ? s + " s" : s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: " + s);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
