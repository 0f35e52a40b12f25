package dev.cumulus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The {@code remote-program} of an {@code ssh-ng://} or {@code ssh://} store: an executable that
 * joins its stdin and stdout to a running proxy's unix socket, so Nix reaches the proxy as it would
 * {@code nix-daemon --stdio} or {@code nix-store --serve --write}. It is a few lines of Perl (Debian's essential {@code perl-base} has the socket module)
 * rather than Java because every ssh-ng connection starts it: Perl starts in milliseconds, a JVM
 * in a tenth of a second or more, which alone would be most of a {@code nix path-info}.
 */
final class RemoteProgram {
    private RemoteProgram() {}

    // Double quotes only: the program sits inside single quotes in the shell script.
    // With --stdio it relays raw bytes both ways (the worker protocol). With anything else it sends
    // the socket "cumulus!" and its command line, then relays stdin up while sorting the frames
    // coming down (MultiplexedOutput: tag 1 stdout, 2 stderr, 0 the exit status) onto its own
    // stdout and stderr, and exits with the status the server sent.
    private static final String RELAY = """
            use IO::Socket::UNIX;
            my $path = shift @ARGV;
            my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
              or die "cumulus remote-program: $path: cannot connect (is Cumulus running?): $!\\n";
            my $raw = "@ARGV" eq "--stdio";
            if (!$raw) {
              my $cmd = join(" ", "remote-program", @ARGV);
              my $pad = (8 - length($cmd) % 8) % 8;
              syswrite($s, "cumulus!" . pack("Q<", length($cmd)) . $cmd . ("\\0" x $pad)) or exit 1;
            }
            my $pid = fork() // die "cumulus remote-program: fork: $!\\n";
            if ($pid == 0) {
              while (my $n = sysread(STDIN, my $buf, 262144)) {
                for (my $o = 0; $o < $n; ) { $o += syswrite($s, $buf, $n - $o, $o) // exit 0 }
              }
              shutdown($s, 1);
              exit 0;
            }
            sub put { my ($fh, $buf) = @_; for (my $o = 0; $o < length($buf); ) { $o += syswrite($fh, $buf, length($buf) - $o, $o) // return 0 } 1 }
            sub take { my ($n) = @_; my $buf = ""; while (length($buf) < $n) { my $r = sysread($s, $buf, $n - length($buf), length($buf)); return undef if !$r } $buf }
            my $status = 0;
            if ($raw) {
              while (my $n = sysread($s, my $buf, 262144)) { put(*STDOUT, $buf) or last }
            } else {
              $status = 1;
              while (defined(my $head = take(5))) {
                my ($tag, $len) = unpack("CN", $head);
                if ($tag == 0) { $status = $len; last }
                my $buf = take($len) // last;
                put($tag == 2 ? *STDERR : *STDOUT, $buf) or last;
              }
            }
            kill "TERM", $pid;
            exit $status;
            """;

    /** The script for {@code socket}; it passes its arguments on ({@code --stdio} for ssh-ng, {@code --serve --write} for ssh). */
    static String script(Path socket) {
        return "#!/bin/sh\n"
                + "# Written by 'cumulus': relays Nix's protocols on stdio to " + socket + "\n"
                + "exec perl -e '" + RELAY + "' " + quote(socket.toString()) + " \"$@\"\n";
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
