package dev.cumulus.proxy;

import dev.cumulus.proxy.backend.Caller;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The command a remote Nix runs to reach a store, and the protocol it asks for:
 * {@code nix-daemon --stdio} for {@code ssh-ng://} (the worker protocol), {@code nix-store --serve
 * [--write]} for {@code ssh://} (the serve protocol, read-only without {@code --write}). The program
 * name is not looked at, since {@code ?remote-program=} may name anything; the flags decide.
 */
public sealed interface RemoteCommand {
    record Worker() implements RemoteCommand {}

    record Serve(boolean write) implements RemoteCommand {}

    /**
     * Reads a command line as ssh passes it (words split on white space; Nix quotes nothing it
     * sends but a {@code --store} argument, which this store refuses).
     */
    static RemoteCommand parse(String command) {
        List<String> words = List.of(command.strip().split("\\s+"));
        List<String> flags = words.isEmpty() ? List.of() : words.subList(1, words.size());
        if (flags.equals(List.of("--stdio"))) {
            return new Worker();
        }
        if (flags.equals(List.of("--serve"))) {
            return new Serve(false);
        }
        if (flags.equals(List.of("--serve", "--write")) || flags.equals(List.of("--write", "--serve"))) {
            return new Serve(true);
        }
        if (flags.contains("--store")) {
            throw new IllegalArgumentException("this server is one store: drop '--store' (the URL's remote-store setting) from '"
                    + command.strip() + "'");
        }
        throw new IllegalArgumentException("this server runs the Nix worker protocol ('nix-daemon --stdio', for ssh-ng://) and the "
                + "serve protocol ('nix-store --serve [--write]', for ssh://), not '" + command.strip() + "'");
    }

    /**
     * Runs {@code commandLine} as the SSH server or the relay received it: its protocol on
     * {@code in}/{@code out}, or, for a command that is neither protocol, the reason on {@code err}
     * and status 127 (as a shell's "command not found"). Returns the exit status.
     */
    static int run(String commandLine, ProxyConfig config, Caller caller, InputStream in, OutputStream out, OutputStream err) {
        RemoteCommand command;
        try {
            command = parse(commandLine);
        } catch (IllegalArgumentException e) {
            return refuse(err, e.getMessage());
        }
        return command.serve(config, caller, in, out, err);
    }

    /** Tells the client why its command is not run; status 127. */
    static int refuse(OutputStream err, String why) {
        try {
            err.write(("cumulus: " + why + "\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException ignored) {
            // the client is gone
        }
        return 127;
    }

    /** Serves one connection in this command's protocol; the exit status the command would have. */
    default int serve(ProxyConfig config, Caller caller, InputStream in, OutputStream out, OutputStream err) {
        return switch (this) {
            case Worker w -> {
                new DaemonConnection(config, caller, in, out).run();
                yield 0;
            }
            case Serve s -> new ServeConnection(config, caller, s.write(), in, out, err).run();
        };
    }
}
