package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.KeySecret;
import dev.cumulus.model.metrics.EmbeddedMetricFormat;
import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.ProxyConfig;
import dev.cumulus.proxy.RemoteCommand;
import dev.cumulus.proxy.SshServer;
import dev.cumulus.proxy.StdioServer;
import dev.cumulus.proxy.UnixSocketServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ./cumulus proxy}: the nix-daemon protocol on a unix socket, on stdio, or over SSH. */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = {"Serves the nix-daemon worker protocol (clients 1.21 to 1.38) and, over SSH and --serve, the serve protocol (ssh://).",
                "Path-info and realisation operations go to the store functions (--functions), NARs to the store "
                        + "bucket; operations whose backend is not configured (builds, roots) answer with a 'not available' error."})
final class ProxyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "Listen on a unix socket (nix --store unix://PATH).")
    Path socket;

    @Option(names = "--stdio", description = "Serve one worker-protocol connection on stdin/stdout (ssh-ng://HOST?remote-program=…).")
    boolean stdio;

    @Option(names = "--serve", description = "Serve one serve-protocol connection on stdin/stdout, read-only unless --write "
            + "(ssh://HOST?remote-program=…, as 'nix-store --serve').")
    boolean serve;

    @Option(names = "--write", description = "With --serve: allow imports and builds.")
    boolean write;

    @Option(names = "--ssh-port", paramLabel = "N", description = "Run the embedded SSH server on this port (0: any free port).")
    Integer sshPort;

    @Option(names = "--ssh-host", paramLabel = "ADDR", defaultValue = "127.0.0.1", description = "Address the SSH server binds (default: ${DEFAULT-VALUE}).")
    String sshHost;

    @Option(names = "--authorized-keys", paramLabel = "FILE", description = "Public keys allowed over SSH, one per line; "
            + "the option '" + SshServer.TRUSTED_OPTION + "' before a key makes its holder trusted.")
    Path authorizedKeys;

    @Option(names = "--host-key", paramLabel = "FILE", defaultValue = ".cumulus/ssh_host_key",
            description = "The SSH host key, created on first start and kept (default: ${DEFAULT-VALUE}).")
    Path hostKey;

    @Option(names = "--untrusted", description = "Treat socket and stdio callers as untrusted (they always are over SSH unless the key is marked).")
    boolean untrusted;

    @Option(names = "--store-dir", paramLabel = "DIR", defaultValue = "/nix/store", description = "The store directory (default: ${DEFAULT-VALUE}).")
    String storeDir;

    @Option(names = "--functions", paramLabel = "WHERE", defaultValue = "NONE",
            converter = StoreFunctionsOption.Converter.class,
            description = "Where the store functions run: none, in-process (against CUMULUS_DYNAMODB_ENDPOINT or AWS) "
                    + "or lambda (deployed functions named CUMULUS_RESOURCE_PREFIX + name). Default: none.")
    StoreFunctionsOption functions;

    @Option(names = "--emf-metrics", description = "Write metrics (failed operations, upload latency) to stdout in CloudWatch's "
            + "embedded metric format, as deployed, where the task's output is its CloudWatch log; not with --stdio or --serve.")
    boolean emfMetrics;

    @Override
    public Integer call() throws Exception {
        if (emfMetrics && (stdio || serve)) {
            throw new ParameterException(spec.commandLine(), "--emf-metrics writes to stdout, which --stdio and --serve speak on");
        }
        if (!stdio && !serve && socket == null && sshPort == null) {
            throw new ParameterException(spec.commandLine(), "say where to serve: --socket PATH, --stdio, --serve or --ssh-port N");
        }
        if ((stdio || serve) && (socket != null || sshPort != null || (stdio && serve))) {
            throw new ParameterException(spec.commandLine(), "--stdio and --serve serve one connection and cannot be combined "
                    + "with each other, --socket or --ssh-port");
        }
        if (write && !serve) {
            throw new ParameterException(spec.commandLine(), "--write goes with --serve");
        }
        Map<String, String> env = System.getenv();
        if (sshPort != null && authorizedKeys == null && !env.getOrDefault("CUMULUS_AUTHORIZED_KEYS", "").isBlank()) {
            // As deployed: the keys come with the task's environment, one per line.
            authorizedKeys = writePrivate(hostKey.resolveSibling("authorized_keys"), env.get("CUMULUS_AUTHORIZED_KEYS"));
        }
        if (sshPort != null && authorizedKeys == null) {
            throw new ParameterException(spec.commandLine(), "--ssh-port needs --authorized-keys FILE (or CUMULUS_AUTHORIZED_KEYS)");
        }
        String hostKeySecret = env.getOrDefault("CUMULUS_SSH_HOST_KEY_SECRET", "");
        if (sshPort != null && !hostKeySecret.isBlank()) {
            // As deployed: every proxy task serves the one host key kept in Secrets Manager.
            try (var secrets = new AwsClients(AwsConfig.fromEnvironment(env)).secretsManager()) {
                writePrivate(hostKey, new KeySecret(secrets, hostKeySecret).getOrCreate(SshServer::isHostKey, SshServer::newHostKey));
            }
        }
        quietLibraries();
        StoreDir dir = new StoreDir(storeDir);
        Metrics metrics = emfMetrics ? EmbeddedMetricFormat.to(System.out) : Metrics.NONE;
        ProxyConfig config = new ProxyConfig(dir, functions.backends(dir, env).reportingTo(metrics), WireLimits.DEFAULT, metrics);
        if (stdio || serve) {
            return StdioServer.serve(config, !untrusted, stdio ? new RemoteCommand.Worker() : new RemoteCommand.Serve(write));
        }
        List<AutoCloseable> servers = new ArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable s : servers) {
                try {
                    s.close();
                } catch (Exception ignored) {
                    // shutting down anyway
                }
            }
            stopped.countDown();
        }));
        if (socket != null) {
            servers.add(new UnixSocketServer(config, socket, !untrusted));
            System.err.println("cumulus proxy: serving unix://" + socket.toAbsolutePath());
        }
        if (sshPort != null) {
            SshServer ssh = new SshServer(config, sshHost, sshPort, authorizedKeys, hostKey);
            servers.add(ssh);
            System.err.println("cumulus proxy: serving ssh-ng://" + sshHost + " on port " + ssh.port());
        }
        stopped.await();
        return 0;
    }

    /** Writes {@code file} (replacing it) readable by its owner only, ending in a newline. */
    static Path writePrivate(Path file, String text) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text.endsWith("\n") ? text : text + "\n");
        return file;
    }

    /** SSHD logs every session at INFO; only problems belong on the terminal. */
    static void quietLibraries() {
        quietLibrariesBut(null);
    }

    /** As {@link #quietLibraries()}, but {@code ours} (a logger name, or null) still logs at INFO. */
    static void quietLibrariesBut(String ours) {
        Logger.getLogger("").setLevel(Level.WARNING);
        for (var h : Logger.getLogger("").getHandlers()) {
            h.setLevel(ours == null ? Level.WARNING : Level.INFO);
        }
        if (ours != null) {
            kept = Logger.getLogger(ours);
            kept.setLevel(Level.INFO);
        }
    }

    /** Loggers are only weakly held: this one must keep its level until its class takes it. */
    private static Logger kept;
}
