package dev.cumulus.functions;

import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.StoreFunction;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs the store functions in this process, through the same JSON a Lambda invocation carries:
 * the local stack's invoker. An error becomes a {@link FunctionFailedException} with the message a
 * Lambda error would carry.
 */
public final class InProcessInvoker implements FunctionInvoker {
    private final Map<String, Function<byte[], byte[]>> byName = new HashMap<>();

    public InProcessInvoker(StoreFunctions f) {
        bind(StoreFunction.IS_VALID_PATH, f::isValidPath);
        bind(StoreFunction.QUERY_VALID_PATHS, f::queryValidPaths);
        bind(StoreFunction.QUERY_PATH_INFO, f::queryPathInfo);
        bind(StoreFunction.QUERY_PATH_FROM_HASH_PART, f::queryPathFromHashPart);
        bind(StoreFunction.QUERY_REFERRERS, f::queryReferrers);
        bind(StoreFunction.QUERY_VALID_DERIVERS, f::queryValidDerivers);
        bind(StoreFunction.QUERY_DERIVATION_OUTPUT_MAP, f::queryDerivationOutputMap);
        bind(StoreFunction.QUERY_ALL_VALID_PATHS, f::queryAllValidPaths);
        bind(StoreFunction.QUERY_SUBSTITUTABLE_PATHS, f::querySubstitutablePaths);
        bind(StoreFunction.REGISTER_DRV_OUTPUT, f::registerDrvOutput);
        bind(StoreFunction.QUERY_REALISATION, f::queryRealisation);
        bind(StoreFunction.ADD_SIGNATURES, f::addSignatures);
        bind(StoreFunction.REGISTER_PATHS, f::registerPaths);
        bind(StoreFunction.SUBMIT_BUILD, f::submitBuild);
        bind(StoreFunction.QUERY_BUILD, f::queryBuild);
        bind(StoreFunction.QUERY_BUILDS, f::queryBuilds);
        bind(StoreFunction.BUILD_STARTED, f::buildStarted);
        bind(StoreFunction.APPEND_BUILD_LOG, f::appendBuildLog);
        bind(StoreFunction.COMPLETE_BUILD, f::completeBuild);
        bind(StoreFunction.FAIL_BUILD, f::failBuild);
        bind(StoreFunction.ABANDON_BUILD, f::abandonBuild);
        bind(StoreFunction.FAIL_DEAD_LETTERED_BUILDS, f::failDeadLetteredBuilds);
        bind(StoreFunction.LIST_BUILDS, f::listBuilds);
        bind(StoreFunction.QUERY_SUBSTITUTABLE_PATH_INFOS, f::querySubstitutablePathInfos);
        bind(StoreFunction.SUBSTITUTE_PATHS, f::substitutePaths);
        bind(StoreFunction.QUERY_SUBSTITUTION, f::querySubstitution);
        bind(StoreFunction.SUBSTITUTE, f::substitute);
        bind(StoreFunction.SUBMIT_GRAPH, f::submitGraph);
        bind(StoreFunction.SUBMIT_GRAPHS, f::submitGraphs);
        bind(StoreFunction.QUERY_SUBMISSION, f::querySubmission);
        bind(StoreFunction.ABANDON_SUBMISSION, f::abandonSubmission);
        bind(StoreFunction.ADD_TEMP_ROOTS, f::addTempRoots);
        bind(StoreFunction.RELEASE_TEMP_ROOTS, f::releaseTempRoots);
        bind(StoreFunction.ADD_ROOT, f::addRoot);
        bind(StoreFunction.REMOVE_ROOT, f::removeRoot);
        bind(StoreFunction.LIST_ROOTS, f::listRoots);
        bind(StoreFunction.COLLECT_GARBAGE, f::collectGarbage);
        bind(StoreFunction.QUERY_DELETIONS, f::queryDeletions);
        bind(StoreFunction.VERIFY_STORE, f::verifyStore);
        for (StoreFunction<?, ?> each : StoreFunction.ALL) {
            if (!byName.containsKey(each.name())) {
                throw new IllegalStateException("store function " + each.name() + " has no handler");
            }
        }
    }

    private <Q, R> void bind(StoreFunction<Q, R> function, Function<Q, R> handler) {
        byName.put(function.name(), json -> EventJson.write(handler.apply(EventJson.read(json, function.request()))));
    }

    @Override
    public byte[] invoke(String functionName, byte[] request) {
        Function<byte[], byte[]> handler = byName.get(functionName);
        if (handler == null) {
            throw new FunctionFailedException("there is no store function '" + functionName + "'");
        }
        try {
            return handler.apply(request);
        } catch (RuntimeException e) {
            throw new FunctionFailedException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }
}
