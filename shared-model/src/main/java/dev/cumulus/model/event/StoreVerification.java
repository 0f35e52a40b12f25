package dev.cumulus.model.event;

import dev.cumulus.model.event.RootEvents.StoreVerified;
import dev.cumulus.model.event.RootEvents.VerifyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A verification of the whole store spread over invocations of the verify-store function, one scan
 * segment each, all at once, so that no invocation comes near its timeout however large the store;
 * their answers merged into one.
 */
public final class StoreVerification {
    /** How many invocations verify the store unless told otherwise: enough for a store of millions of paths. */
    public static final int DEFAULT_SEGMENTS = 8;

    private StoreVerification() {}

    /** Verifies the whole store in {@code segments} invocations (1: one invocation, as before). */
    public static StoreVerified run(StoreFunctionClient functions, boolean checkContents, boolean repair, int segments) {
        if (segments <= 1) {
            return functions.call(StoreFunction.VERIFY_STORE, new VerifyStore(checkContents, repair));
        }
        List<Future<StoreVerified>> parts = new ArrayList<>();
        try (ExecutorService invocations = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int segment = 0; segment < segments; segment++) {
                VerifyStore request = new VerifyStore(checkContents, repair, List.of(), segment, segments);
                parts.add(invocations.submit(() -> functions.call(StoreFunction.VERIFY_STORE, request)));
            }
        }
        long checked = 0;
        List<String> violations = new ArrayList<>();
        List<String> repaired = new ArrayList<>();
        for (Future<StoreVerified> part : parts) {
            StoreVerified answer;
            try {
                answer = part.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FunctionFailedException("interrupted while verifying the store");
            }
            checked += answer.pathsChecked();
            violations.addAll(answer.violations());
            repaired.addAll(answer.repaired());
        }
        violations.sort(null);
        repaired.sort(null);
        return new StoreVerified(checked, violations, repaired);
    }
}
