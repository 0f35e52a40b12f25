package dev.cumulus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code remote-program} of an {@code ssh-ng://} store: an executable that joins its stdin and
 * stdout to a running proxy's unix socket, so Nix reaches the proxy as it would {@code nix-daemon
 * --stdio}. It is a few lines of Perl (Debian's essential {@code perl-base} has the socket module)
 * rather than Java because every ssh-ng connection starts it: Perl starts in milliseconds, a JVM
 * in a tenth of a second or more, which alone would be most of a {@code nix path-info}.
 */
final class RemoteProgram {
    private RemoteProgram() {}

    // Double quotes only: the program sits inside single quotes in the shell script.
    private static final String RELAY = """
            use IO::Socket::UNIX;
            my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
              or die "cumulus remote-program: $ARGV[0]: cannot connect (is Cumulus running?): $!\\n";
            my $pid = fork() // die "cumulus remote-program: fork: $!\\n";
            if ($pid == 0) {
              while (my $n = sysread(STDIN, my $buf, 262144)) {
                for (my $o = 0; $o < $n; ) { $o += syswrite($s, $buf, $n - $o, $o) // exit 0 }
              }
              shutdown($s, 1);
              exit 0;
            }
            READ: while (my $n = sysread($s, my $buf, 262144)) {
              for (my $o = 0; $o < $n; ) { $o += syswrite(STDOUT, $buf, $n - $o, $o) // last READ }
            }
            kill "TERM", $pid;
            """;

    /** The script for {@code socket}; it ignores its arguments ({@code ssh-ng} passes {@code --stdio}). */
    static String script(Path socket) {
        return "#!/bin/sh\n"
                + "# Written by 'cumulus': relays the nix-daemon protocol on stdio to " + socket + "\n"
                + "exec perl -e '" + RELAY + "' " + quote(socket.toString()) + "\n";
    }

    /** Writes the script for {@code socket} to {@code file}, executable. */
    static Path write(Path file, Path socket) throws IOException {
        Files.writeString(file, script(socket));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
