package dev.cumulus.localstack;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests a {@link LocalStack} in memory: started on first use, shared by every test class of the
 * run, stopped when the run ends. Use {@code @ExtendWith(LocalStackExtension.class)} and take a
 * {@code LocalStack} parameter; tests that must not see each other's items use their own store dir
 * or paths, as the tables are shared.
 */
public final class LocalStackExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalStackExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Running.class, k -> Running.start(), Running.class).stack();
    }

    /** Closed by JUnit when the root context (the whole run) ends. */
    private record Running(LocalStack stack) implements AutoCloseable {
        static Running start() {
            try {
                return new Running(LocalStack.start(Optional.empty(), "test-"));
            } catch (Exception e) {
                throw new IllegalStateException("the local stack did not start: " + e, e);
            }
        }

        @Override
        public void close() {
            stack.close();
        }
    }
}
