package dev.cumulus.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./cumulus}: the one entry point for users. */
@Command(name = "cumulus", mixinStandardHelpOptions = true, version = "cumulus 0.1.0",
        description = "A serverless Nix store and build farm on AWS.",
        subcommands = {NarCommand.class, KeyCommand.class, RefscanCommand.class, ProxyCommand.class,
                LocalStackCommand.class, LocalCommand.class, RemoteProgramCommand.class, RunnerCommand.class, BuildCommand.class,
                BuildsCommand.class, RootsCommand.class, GcCommand.class, VerifyCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code. Failures print one line on stderr, never a stack trace. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("cumulus: " + describe(e));
            return 1;
        });
        return cli.execute(args);
    }

    static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u) {
            e = u.getCause();
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file or directory";
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e instanceof IOException ? "I/O error (" + e.getClass().getSimpleName() + ")" : e.toString();
        }
        return message;
    }
}
