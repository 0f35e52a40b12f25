package dev.cumulus.proxy;

import dev.cumulus.proxy.backend.Caller;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;

/**
 * An embedded SSH server for {@code ssh-ng://} clients: public keys from an authorized-keys file
 * (re-read on each login, so edits apply at once), a host key kept in a file across restarts, and
 * the worker protocol for a client that execs {@code nix-daemon --stdio} (any command ending in
 * {@code --stdio}). A key is untrusted unless its line carries the option {@code cumulus-trusted}.
 */
public final class SshServer implements AutoCloseable {
    public static final String TRUSTED_OPTION = "cumulus-trusted";
    private static final AttributeRepository.AttributeKey<Caller> CALLER = new AttributeRepository.AttributeKey<>();

    private final ProxyConfig config;
    private final Path authorizedKeys;
    private final org.apache.sshd.server.SshServer sshd;

    public SshServer(ProxyConfig config, String host, int port, Path authorizedKeys, Path hostKey) throws IOException {
        this.config = config;
        this.authorizedKeys = authorizedKeys;
        if (hostKey.getParent() != null) {
            Files.createDirectories(hostKey.getParent());
        }
        SimpleGeneratorHostKeyProvider keys = hostKeyProvider(hostKey);
        keys.loadKeys(null); // create (or read) the host key file now, not at the first login
        sshd = org.apache.sshd.server.SshServer.setUpDefaultServer();
        sshd.setHost(host);
        sshd.setPort(port);
        sshd.setKeyPairProvider(keys);
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setPublickeyAuthenticator(this::authenticate);
        sshd.setCommandFactory((channel, command) -> new DaemonCommand(command));
        sshd.start();
    }

    private static SimpleGeneratorHostKeyProvider hostKeyProvider(Path file) {
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(file);
        keys.setAlgorithm(KeyUtils.EC_ALGORITHM);
        return keys;
    }

    /** A new host key as the text of the file the server would create (for keeping it elsewhere, e.g. a secret). */
    public static String newHostKey() {
        try {
            Path dir = Files.createTempDirectory("cumulus-host-key");
            try {
                Path file = dir.resolve("key");
                hostKeyProvider(file).loadKeys(null);
                return Files.readString(file, StandardCharsets.US_ASCII);
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot make an SSH host key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code text} is a host key file as {@link #newHostKey} makes them. */
    public static boolean isHostKey(String text) {
        return text.startsWith("-----BEGIN ") && text.contains(" PRIVATE KEY-----");
    }

    /** The port bound (useful when asked for port 0). */
    public int port() {
        return sshd.getPort();
    }

    private boolean authenticate(String user, PublicKey key, ServerSession session) {
        Optional<Caller> caller = authorizedCaller(user, key);
        caller.ifPresent(c -> session.setAttribute(CALLER, c));
        return caller.isPresent();
    }

    private Optional<Caller> authorizedCaller(String user, PublicKey key) {
        if (!Files.isRegularFile(authorizedKeys)) {
            return Optional.empty();
        }
        try {
            List<AuthorizedKeyEntry> entries = AuthorizedKeyEntry.readAuthorizedKeys(authorizedKeys);
            for (AuthorizedKeyEntry e : entries) {
                PublicKey k;
                try {
                    k = e.resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
                } catch (Exception unreadable) {
                    continue; // a key type this server cannot read never matches
                }
                if (k != null && KeyUtils.compareKeys(k, key)) {
                    boolean trusted = e.getLoginOptions().containsKey(TRUSTED_OPTION);
                    String comment = e.getComment() == null || e.getComment().isBlank() ? user : e.getComment().strip();
                    return Optional.of(new Caller("ssh:" + comment, trusted));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + authorizedKeys + ": " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }

    /** One exec request: the worker protocol if it asks for {@code --stdio}, else a refusal. */
    private final class DaemonCommand implements Command {
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;

        DaemonCommand(String command) {
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            Caller caller = channel.getSession().getAttribute(CALLER);
            Thread.ofVirtual().name("ssh-connection").start(() -> {
                if (caller == null || !command.strip().endsWith("--stdio")) {
                    try {
                        err.write(("cumulus: this SSH server only runs the Nix worker protocol ('nix-daemon --stdio'), not '"
                                + command + "'\n").getBytes(StandardCharsets.UTF_8));
                        err.flush();
                    } catch (IOException ignored) {
                        // the client is gone
                    }
                    exit.onExit(127);
                    return;
                }
                new DaemonConnection(config.storeDir(), config.backends(), caller, in, out, config.limits()).run();
                exit.onExit(0);
            });
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }
}
