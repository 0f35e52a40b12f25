package dev.cumulus.proxy.functions;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.event.Requests.AddSignatures;
import dev.cumulus.model.event.Requests.HashPartQuery;
import dev.cumulus.model.event.Requests.PageQuery;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.Responses.Page;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.proxy.backend.FencedCache;
import dev.cumulus.proxy.backend.PathInfoService;
import dev.cumulus.proxy.backend.StoreException;
import dev.cumulus.proxy.bucket.NarLocator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Path-info operations answered by the store functions (Lambda in AWS, in process locally). The
 * answer to a path's info names its NAR's object too: it is remembered for a while, because a
 * client that asked for a path's info usually asks for its NAR next ({@link NarLocator}).
 */
public final class FunctionPathInfoService implements PathInfoService, NarLocator {
    /** QueryAllValidPaths reads the table in pages of this many paths. */
    static final int PAGE = 1000;

    private final StoreFunctionClient functions;
    private final StoreDir storeDir;
    private final FencedCache<StorePath, NarObject> narObjects;

    public FunctionPathInfoService(StoreFunctionClient functions, StoreDir storeDir, FencedCache<StorePath, NarObject> narObjects) {
        this.functions = functions;
        this.storeDir = storeDir;
        this.narObjects = narObjects;
    }

    @Override
    public Optional<PathInfo> queryPathInfo(StorePath path) {
        return Optional.ofNullable(ask(path).info()).map(i -> i.toPathInfo(storeDir));
    }

    @Override
    public NarObject locate(StorePath path, boolean fresh) {
        if (!fresh) {
            Optional<NarObject> known = narObjects.get(path);
            if (known.isPresent()) {
                return known.get();
            }
        }
        PathInfoAnswer answer = ask(path);
        if (answer.info() == null) {
            throw new StoreException("path '" + storeDir.print(path) + "' is not valid");
        }
        if (answer.nar() == null) {
            throw new StoreException("path '" + storeDir.print(path) + "' has no NAR in the bucket");
        }
        return answer.nar();
    }

    /** The store's answer about a path, whose NAR object is remembered (or forgotten, the path being invalid). */
    private PathInfoAnswer ask(StorePath path) {
        long generation = narObjects.generation();
        PathInfoAnswer answer = call(() -> functions.call(StoreFunction.QUERY_PATH_INFO, query(path)));
        if (answer.info() == null || answer.nar() == null) {
            narObjects.remove(path);
        } else {
            narObjects.put(path, answer.nar(), generation);
        }
        return answer;
    }

    /** Remembers a path the proxy just made valid (its connection roots it, so it is kept under the generation of now). */
    @Override
    public void remember(StorePath path, NarObject object) {
        narObjects.put(path, object, narObjects.generation());
    }

    @Override
    public SortedSet<StorePath> queryValidPaths(Set<StorePath> paths) {
        return parse(call(() -> functions.call(StoreFunction.QUERY_VALID_PATHS, queries(paths))).paths());
    }

    @Override
    public Optional<StorePath> queryPathFromHashPart(String hashPart) {
        return Optional.ofNullable(call(() -> functions.call(StoreFunction.QUERY_PATH_FROM_HASH_PART,
                new HashPartQuery(hashPart))).path()).map(storeDir::parse);
    }

    @Override
    public SortedSet<StorePath> queryReferrers(StorePath path) {
        return parse(call(() -> functions.call(StoreFunction.QUERY_REFERRERS, query(path))).paths());
    }

    @Override
    public SortedSet<StorePath> queryValidDerivers(StorePath path) {
        return parse(call(() -> functions.call(StoreFunction.QUERY_VALID_DERIVERS, query(path))).paths());
    }

    @Override
    public SortedMap<String, Optional<StorePath>> queryDerivationOutputMap(StorePath drvPath) {
        SortedMap<String, Optional<StorePath>> out = new TreeMap<>();
        Map<String, String> outputs = call(() -> functions.call(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, query(drvPath)))
                .outputs();
        outputs.forEach((name, path) -> out.put(name, Optional.ofNullable(path).map(storeDir::parse)));
        return out;
    }

    @Override
    public SortedSet<StorePath> queryAllValidPaths() {
        SortedSet<StorePath> all = new TreeSet<>();
        String after = null;
        do {
            String from = after;
            Page page = call(() -> functions.call(StoreFunction.QUERY_ALL_VALID_PATHS, new PageQuery(from, PAGE)));
            all.addAll(parse(page.paths()));
            after = page.next();
        } while (after != null);
        return all;
    }

    @Override
    public void addSignatures(StorePath path, List<Signature> signatures) {
        call(() -> functions.call(StoreFunction.ADD_SIGNATURES,
                new AddSignatures(storeDir.print(path), signatures.stream().map(Signature::render).toList())));
    }

    private PathQuery query(StorePath path) {
        return new PathQuery(storeDir.print(path));
    }

    private PathsQuery queries(Set<StorePath> paths) {
        return new PathsQuery(paths.stream().map(storeDir::print).toList());
    }

    private SortedSet<StorePath> parse(List<String> paths) {
        SortedSet<StorePath> out = new TreeSet<>();
        paths.forEach(p -> out.add(storeDir.parse(p)));
        return out;
    }
}
