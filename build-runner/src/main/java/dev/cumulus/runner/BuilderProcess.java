package dev.cumulus.runner;

import dev.cumulus.model.wire.BuildStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs a builder's command with exactly its environment, hands each line it prints (stdout and
 * stderr together, as Nix's log has them) to the log, and kills it when it runs longer than its
 * timeout, stays silent longer than its silence limit, or is no longer wanted.
 */
final class BuilderProcess {
    private static final Duration CHECK_EVERY = Duration.ofMillis(200);

    private BuilderProcess() {}

    /** Returns normally when the builder exited with 0. */
    static void run(List<String> command, Map<String, String> environment, long timeoutSeconds, long maxSilentSeconds,
                    Consumer<String> log, BooleanSupplier wanted) throws IOException, BuildFailure, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(environment);
        Process p = pb.start();
        AtomicLong lastOutput = new AtomicLong(System.nanoTime());
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lastOutput.set(System.nanoTime());
                    log.accept(line);
                }
            } catch (IOException e) {
                // the process was killed; its output ends here
            }
        });
        long started = System.nanoTime();
        try {
            while (!p.waitFor(CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                if (timeoutSeconds > 0 && now - started > TimeUnit.SECONDS.toNanos(timeoutSeconds)) {
                    kill(p);
                    throw new BuildFailure(BuildStatus.TIMED_OUT, "timed out after " + timeoutSeconds + " seconds");
                }
                if (maxSilentSeconds > 0 && now - lastOutput.get() > TimeUnit.SECONDS.toNanos(maxSilentSeconds)) {
                    kill(p);
                    throw new BuildFailure(BuildStatus.TIMED_OUT, "timed out after " + maxSilentSeconds
                            + " seconds of silence");
                }
                if (!wanted.getAsBoolean()) {
                    kill(p);
                    throw new BuildFailure(BuildStatus.MISC_FAILURE, "the build was cancelled");
                }
            }
        } finally {
            if (p.isAlive()) {
                kill(p);
            }
            reader.join(Duration.ofSeconds(5));
        }
        if (p.exitValue() != 0) {
            throw new BuildFailure(BuildStatus.PERMANENT_FAILURE, "failed with exit code " + p.exitValue());
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }
}
