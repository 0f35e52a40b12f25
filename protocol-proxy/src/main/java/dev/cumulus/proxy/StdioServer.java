package dev.cumulus.proxy;

import dev.cumulus.proxy.backend.Caller;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.PrintStream;

/**
 * One connection on stdin/stdout, for {@code ssh-ng://HOST?remote-program=…} (the remote side runs
 * {@code PROGRAM --stdio}). Stdout carries only the protocol: anything else printed goes to stderr.
 * Trusted by default, as {@code nix-daemon --stdio} trusts whoever could start it.
 */
public final class StdioServer {
    private StdioServer() {
    }

    public static void serve(ProxyConfig config, boolean trusted) {
        FileOutputStream protocolOut = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        new DaemonConnection(config.storeDir(), config.backends(), new Caller("stdio", trusted),
                new FileInputStream(FileDescriptor.in), protocolOut, config.limits()).run();
    }
}
