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
 * An embedded SSH server for {@code ssh-ng://} and {@code ssh://} clients: public keys from an
 * authorized-keys file (re-read on each login, so edits apply at once), a host key kept in a file
 * across restarts, and the protocol the exec'd command asks for ({@link RemoteCommand}: the worker
 * protocol for {@code nix-daemon --stdio}, the serve protocol for {@code nix-store --serve
 * [--write]}). A key is untrusted unless its line carries the option {@code cumulus-trusted}; a
 * {@code command="…"} option replaces whatever the client asks to run, as in OpenSSH (so
 * {@code command="nix-store --serve"} gives a key read-only access).
 */
public final class SshServer implements AutoCloseable {
    public static final String TRUSTED_OPTION = "cumulus-trusted";
    private static final AttributeRepository.AttributeKey<Login> LOGIN = new AttributeRepository.AttributeKey<>();

    /** Who logged in, and the command their key's {@code command="…"} option forces, if any (as OpenSSH's). */
    private record Login(Caller caller, Optional<String> forcedCommand) {}

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
        Optional<Login> login = authorizedLogin(user, key);
        login.ifPresent(l -> session.setAttribute(LOGIN, l));
        return login.isPresent();
    }

    private Optional<Login> authorizedLogin(String user, PublicKey key) {
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
                    Optional<String> forced = Optional.ofNullable(e.getLoginOptions().get("command")).map(SshServer::unquote);
                    return Optional.of(new Login(new Caller("ssh:" + comment, trusted), forced));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + authorizedKeys + ": " + e.getMessage(), e);
        }
        return Optional.empty();
    }

    private static String unquote(String s) {
        String t = s.strip();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }

    /** One exec request: the protocol its command (or the key's forced command) asks for, else a refusal. */
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
            Login login = channel.getSession().getAttribute(LOGIN);
            Thread.ofVirtual().name("ssh-connection").start(() -> {
                int status = login == null ? RemoteCommand.refuse(err, "not logged in with an authorized key")
                        : RemoteCommand.run(login.forcedCommand().orElse(command), config, login.caller(), in, out, err);
                exit.onExit(status);
            });
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }
}
