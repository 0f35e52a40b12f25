package dev.cumulus.proxy;

import dev.cumulus.proxy.backend.Caller;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;

/**
 * One connection on stdin/stdout, in the protocol a {@link RemoteCommand} names: the worker
 * protocol for {@code ssh-ng://HOST?remote-program=…} (the remote side runs {@code PROGRAM --stdio}),
 * the serve protocol for {@code ssh://} ({@code PROGRAM --serve --write}). Stdout carries only the
 * protocol: anything else printed goes to stderr. Trusted by default, as {@code nix-daemon --stdio}
 * trusts whoever could start it.
 */
public final class StdioServer {
    private StdioServer() {
    }

    /** Serves until the client hangs up; the exit status the command would have. */
    public static int serve(ProxyConfig config, boolean trusted, RemoteCommand command) {
        FileOutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        FileOutputStream err = new FileOutputStream(FileDescriptor.err);
        System.setOut(new PrintStream(err, true));
        return command.serve(config, new Caller("stdio", trusted), new FileInputStream(FileDescriptor.in), protocolOut, err);
    }
}
