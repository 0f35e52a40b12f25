package dev.cumulus.proxy.functions;

import static dev.cumulus.proxy.functions.FunctionCalls.call;

import dev.cumulus.model.derived.DrvOutput;
import dev.cumulus.model.event.PollSchedule;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfo;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.Stderr;
import dev.cumulus.model.wire.SubstitutablePathInfo;
import dev.cumulus.proxy.backend.Session;
import dev.cumulus.proxy.backend.StoreException;
import dev.cumulus.proxy.backend.SubstitutionService;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Substitution through the store functions: the queries ask the substituters through them, and a
 * substitution is submitted as a job ({@code substitute-paths}) and watched ({@code query-substitution})
 * until it is done ({@link PollSchedule}: every few milliseconds at first, then less often), asking
 * after the client.
 */
public final class FunctionSubstitutionService implements SubstitutionService {
    static final PollSchedule POLLS = new PollSchedule(20, 500);

    private final StoreFunctionClient functions;
    private final StoreDir storeDir;

    public FunctionSubstitutionService(StoreFunctionClient functions, StoreDir storeDir) {
        this.functions = functions;
        this.storeDir = storeDir;
    }

    @Override
    public SortedSet<StorePath> querySubstitutablePaths(Set<StorePath> paths) {
        SortedSet<StorePath> out = new TreeSet<>();
        call(() -> functions.call(StoreFunction.QUERY_SUBSTITUTABLE_PATHS, query(paths))).paths()
                .forEach(p -> out.add(storeDir.parse(p)));
        return out;
    }

    @Override
    public SortedMap<StorePath, SubstitutablePathInfo> querySubstitutablePathInfos(Set<StorePath> paths) {
        return infos(paths, false);
    }

    @Override
    public SortedMap<StorePath, SubstitutablePathInfo> querySubstitutableClosure(Set<StorePath> paths) {
        return infos(paths, true);
    }

    private SortedMap<StorePath, SubstitutablePathInfo> infos(Set<StorePath> paths, boolean closure) {
        SortedMap<StorePath, SubstitutablePathInfo> out = new TreeMap<>();
        QuerySubstitutableInfos q = new QuerySubstitutableInfos(paths.stream().map(storeDir::print).toList(), closure);
        for (SubstitutableInfo i : call(() -> functions.call(StoreFunction.QUERY_SUBSTITUTABLE_PATH_INFOS, q)).infos()) {
            out.put(storeDir.parse(i.path()), new SubstitutablePathInfo(Optional.ofNullable(i.deriver()).map(storeDir::parse),
                    new TreeSet<>(i.references().stream().map(storeDir::parse).toList()), i.downloadSize(), i.narSize()));
        }
        return out;
    }

    @Override
    public Map<String, String> substitute(Session session, Set<StorePath> paths, Set<DrvOutput> outputs) {
        SubstitutionState state = call(() -> functions.call(StoreFunction.SUBSTITUTE_PATHS, new SubstitutePaths(
                paths.stream().map(storeDir::print).toList(), outputs.stream().map(o -> o.render(storeDir)).toList(),
                session.connectionId())));
        if (state.finished()) {
            return state.failed();
        }
        long activity = session.logger().startActivity(Stderr.LVL_INFO, Stderr.ACT_UNKNOWN,
                "substituting " + paths.size() + " path(s) and " + outputs.size() + " output(s) from the store's substituters",
                List.of(), 0);
        try {
            long since = System.nanoTime();
            String id = state.id();
            while (!state.finished()) {
                Thread.sleep(POLLS.pauseSince(since));
                if (session.clientGone()) {
                    // The job goes on (another client may want the same paths); this waiter leaves.
                    throw new StoreException("the client hung up while paths were being substituted");
                }
                state = call(() -> functions.call(StoreFunction.QUERY_SUBSTITUTION, new QuerySubstitution(id)));
            }
            return state.failed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a substitution");
        } finally {
            session.logger().stopActivity(activity);
        }
    }

    private PathsQuery query(Set<StorePath> paths) {
        return new PathsQuery(paths.stream().map(storeDir::print).toList());
    }
}
