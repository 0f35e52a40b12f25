package dev.cumulus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A build-runner that {@code cumulus local} keeps running as a child process, as ECS keeps a
 * Fargate task running: started with the same JVM and class path as this one, its output in
 * {@code STATE_DIR/NAME.log}, and started again a second after it dies (killed mid-build, its build
 * reappears on the queue for the new one).
 */
final class RunnerProcess implements AutoCloseable {
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private final Thread supervisor;
    private volatile Process process;
    private volatile boolean closed;

    private RunnerProcess(List<String> command, Map<String, String> env, Path log) {
        this.command = command;
        this.env = env;
        this.log = log;
        this.supervisor = Thread.ofVirtual().unstarted(this::supervise);
    }

    static RunnerProcess start(String name, String pool, Path state, Map<String, String> env, int visibilitySeconds, int jobs)
            throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "runner",
                "--pool", pool, "--name", name, "--work-dir", state.resolve(name).toString(), "--visibility", Integer.toString(visibilitySeconds),
                "--jobs", Integer.toString(jobs),
                // The functions run in cumulus local's process, reached as Lambda is in AWS: what they
                // do is counted in one place, and a runner's JVM is the runner alone.
                "--functions", "lambda"));
        RunnerProcess r = new RunnerProcess(command, env, state.resolve(name + ".log"));
        r.launch();
        r.supervisor.start();
        return r;
    }

    private void launch() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        process = pb.start();
    }

    private void supervise() {
        while (!closed) {
            try {
                int status = process.waitFor();
                if (closed) {
                    return;
                }
                Files.writeString(log, "cumulus local: the runner exited with " + status + "; starting it again\n",
                        java.nio.file.StandardOpenOption.APPEND);
                Thread.sleep(1000);
                if (!closed) {
                    launch();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                System.err.println("cumulus local: restarting a runner failed: " + e.getMessage());
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Process p = process;
        if (p != null) {
            p.destroy();
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        supervisor.interrupt();
    }
}
