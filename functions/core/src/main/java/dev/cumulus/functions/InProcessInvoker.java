package dev.cumulus.functions;

import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.metrics.StoreMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Runs the store functions in this process, through the same JSON a Lambda invocation carries:
 * the local stack's invoker. An error becomes a {@link FunctionFailedException} with the message a
 * Lambda error would carry. An invocation that outlives its function's {@linkplain StoreFunction#timeout
 * timeout} is cut off as Lambda cuts it off: the caller gets Lambda's error at the deadline and the
 * handler's thread is interrupted (Lambda stops its process; here the work stops at the next call
 * that heeds the interrupt, which is why the store's protocols never rely on a deadline for safety).
 * A failed invocation is counted by function name in the functions' metrics, as Lambda counts its errors.
 */
public final class InProcessInvoker implements FunctionInvoker {
    private final Map<String, Function<byte[], byte[]>> byName = new HashMap<>();
    private final Map<String, Duration> timeoutByName = new HashMap<>();
    private final Metrics metrics;

    public InProcessInvoker(StoreFunctions f) {
        this(f, StoreFunction::timeout);
    }

    /** With other timeouts than the deployed functions': for tests of work that must fit in one. */
    public InProcessInvoker(StoreFunctions f, Function<StoreFunction<?, ?>, Duration> timeouts) {
        this.metrics = f.metrics();
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
        bind(StoreFunction.COLLECTION_STEPS, f::collectionSteps);
        bind(StoreFunction.QUERY_COLLECTION, f::queryCollection);
        bind(StoreFunction.QUERY_DELETIONS, f::queryDeletions);
        bind(StoreFunction.QUERY_COLLECTIONS, f::queryCollections);
        bind(StoreFunction.VERIFY_STORE, f::verifyStore);
        for (StoreFunction<?, ?> each : StoreFunction.ALL) {
            timeoutByName.put(each.name(), timeouts.apply(each));
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
        Duration timeout = timeoutByName.get(functionName);
        FutureTask<byte[]> invocation = new FutureTask<>(() -> handler.apply(request));
        Thread.ofVirtual().name("function " + functionName).start(invocation);
        try {
            return invocation.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            invocation.cancel(true);
            metrics.count(StoreMetrics.ERRORS, 1, functionName);
            throw new FunctionFailedException(String.format(Locale.ROOT, "%s: Task timed out after %.2f seconds",
                    functionName, timeout.toMillis() / 1000.0));
        } catch (InterruptedException e) {
            invocation.cancel(true);
            Thread.currentThread().interrupt();
            throw new FunctionFailedException(functionName + ": the caller was interrupted", e);
        } catch (ExecutionException e) {
            metrics.count(StoreMetrics.ERRORS, 1, functionName);
            Throwable cause = e.getCause();
            if (cause instanceof Error error) {
                throw error;
            }
            throw new FunctionFailedException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        }
    }
}
