package dev.cumulus.runner;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the runner's task from being stopped by scale-in while it builds: the pool scales on its
 * queues' depth, and without protection a scale-in picks any task, a building one included. On ECS
 * the runner asks the container agent ({@code $ECS_AGENT_URI/task-protection/v1/state}, which
 * needs {@code ecs:UpdateTaskProtection} on the task role) for protection when its first build
 * starts, renews it while it builds, and gives it up when its last build ends. Elsewhere (a local
 * runner) there is nothing to protect.
 */
public interface ScaleInProtection extends AutoCloseable {
    /** Protected from now on, until {@link #release}; calls nest by count, one per running build. */
    void acquire();

    void release();

    @Override
    default void close() {}

    static ScaleInProtection none() {
        return new ScaleInProtection() {
            @Override
            public void acquire() {}

            @Override
            public void release() {}
        };
    }

    /** The ECS agent's endpoint when the environment has one ({@code ECS_AGENT_URI}), else none. */
    static ScaleInProtection fromEnvironment(Map<String, String> env) {
        String agent = env.get("ECS_AGENT_URI");
        return agent == null || agent.isBlank() ? none() : new EcsTaskProtection(URI.create(agent), EcsTaskProtection.EXPIRES,
                EcsTaskProtection.RENEW_EVERY);
    }

    /** Protection through the ECS container agent, for as long as a build runs. */
    final class EcsTaskProtection implements ScaleInProtection {
        private static final System.Logger LOG = System.getLogger(EcsTaskProtection.class.getName());
        /** How long one request protects; renewed well before it lapses, so a runner that hangs loses it. */
        static final Duration EXPIRES = Duration.ofMinutes(60);
        static final Duration RENEW_EVERY = Duration.ofMinutes(20);

        private final URI state;
        private final Duration expires;
        private final Duration renewEvery;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());
        private int building;
        private ScheduledFuture<?> renewal;

        EcsTaskProtection(URI agent, Duration expires, Duration renewEvery) {
            this.state = URI.create(agent.toString().replaceAll("/+$", "") + "/task-protection/v1/state");
            this.expires = expires;
            this.renewEvery = renewEvery;
        }

        @Override
        public synchronized void acquire() {
            if (building++ == 0) {
                put(true);
                renewal = timer.scheduleAtFixedRate(() -> put(true), renewEvery.toMillis(), renewEvery.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public synchronized void release() {
            if (building > 0 && --building == 0) {
                renewal.cancel(false);
                put(false);
            }
        }

        /**
         * A failure is logged, not thrown: a build must not fail because the agent did not answer, and
         * without protection the runner is only as exposed as it was before.
         */
        private void put(boolean enabled) {
            String body = enabled ? "{\"ProtectionEnabled\":true,\"ExpiresInMinutes\":" + expires.toMinutes() + "}"
                    : "{\"ProtectionEnabled\":false}";
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(state).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200 || r.body().contains("\"failure\"") || r.body().contains("\"error\"")) {
                    LOG.log(System.Logger.Level.WARNING, "scale-in protection " + enabled + ": the ECS agent answered "
                            + r.statusCode() + " " + r.body());
                }
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.WARNING, "scale-in protection " + enabled + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
