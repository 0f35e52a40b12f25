package dev.cumulus.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.nar.NarListing;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.NarUnpacker;
import dev.cumulus.model.nar.NarVisitor;
import dev.cumulus.model.nar.NarWriter;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** NAR tools: write, hash, list, read from and unpack Nix archives. */
@Command(name = "nar", mixinStandardHelpOptions = true, description = "Work with Nix archives (NARs).",
        subcommands = {NarCommand.Dump.class, NarCommand.HashCommand.class, NarCommand.Ls.class, NarCommand.Cat.class,
                NarCommand.Unpack.class})
final class NarCommand {

    static OutputStream stdout() {
        return new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 256 * 1024);
    }

    static InputStream open(Path nar) throws IOException {
        return new BufferedInputStream(Files.newInputStream(nar), 256 * 1024);
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Write the NAR of PATH to stdout (as nix-store --dump does).")
    static final class Dump implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "PATH")
        Path path;

        @Override
        public Integer call() throws IOException {
            try (OutputStream out = stdout()) {
                NarWriter.dump(path, out);
            }
            return 0;
        }
    }

    @Command(name = "hash", mixinStandardHelpOptions = true,
            description = "Print sha256:<nix32> of the NAR of PATH (as nix-hash --type sha256 --base32 does).")
    static final class HashCommand implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "PATH")
        Path path;

        @Override
        public Integer call() throws IOException {
            HashSink sink = new HashSink(HashAlgorithm.SHA256);
            NarWriter.dump(path, sink);
            System.out.println(sink.finish());
            return 0;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the contents of a NAR file.")
    static final class Ls implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "FILE.nar")
        Path nar;

        @Option(names = "--json", description = "Print the listing as JSON, as in a binary cache's .ls files.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            try (InputStream in = open(nar)) {
                if (json) {
                    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                    System.out.println(m.writeValueAsString(NarListing.list(in)));
                    return 0;
                }
                PrintStream out = new PrintStream(stdout(), false, java.nio.charset.StandardCharsets.UTF_8);
                NarReader.read(in, new NarVisitor() {
                    @Override
                    public void directory(String path) {
                        out.printf(Locale.ROOT, "dr-xr-xr-x %12d %s%n", 0, shown(path));
                    }

                    @Override
                    public void regularFile(String path, boolean executable, long size, InputStream contents) {
                        out.printf(Locale.ROOT, "%s %12d %s%n", executable ? "-r-xr-xr-x" : "-r--r--r--", size, shown(path));
                    }

                    @Override
                    public void symlink(String path, String target) {
                        out.printf(Locale.ROOT, "lrwxrwxrwx %12d %s -> %s%n", 0, shown(path), target);
                    }
                });
                out.flush();
                return 0;
            }
        }

        private static String shown(String path) {
            return "." + path;
        }
    }

    @Command(name = "cat", mixinStandardHelpOptions = true, description = "Write the contents of a regular file in a NAR to stdout.")
    static final class Cat implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.nar")
        Path nar;

        @Parameters(index = "1", paramLabel = "PATH", description = "Path inside the NAR, e.g. /bin/hello ('/' or '' for a NAR of one file).")
        String inside;

        @Override
        public Integer call() throws IOException {
            String wanted = inside.equals("/") ? "" : inside.replaceAll("/+$", "");
            if (!wanted.isEmpty() && !wanted.startsWith("/")) {
                wanted = "/" + wanted;
            }
            final String target = wanted;
            final String[] kind = {null};
            try (InputStream in = open(nar); OutputStream out = stdout()) {
                NarReader.read(in, new NarVisitor() {
                    @Override
                    public void directory(String path) {
                        if (path.equals(target)) {
                            kind[0] = "a directory";
                        }
                    }

                    @Override
                    public void symlink(String path, String linkTarget) {
                        if (path.equals(target)) {
                            kind[0] = "a symlink to " + linkTarget;
                        }
                    }

                    @Override
                    public void regularFile(String path, boolean executable, long size, InputStream contents) throws IOException {
                        if (path.equals(target)) {
                            kind[0] = "file";
                            contents.transferTo(out);
                        }
                    }
                });
            }
            if (kind[0] == null) {
                throw new IOException("'" + inside + "' is not in " + nar);
            }
            if (!kind[0].equals("file")) {
                throw new IOException("'" + inside + "' in " + nar + " is " + kind[0] + ", not a regular file");
            }
            return 0;
        }
    }

    @Command(name = "unpack", mixinStandardHelpOptions = true, description = "Unpack a NAR file into DIR, which must not exist.")
    static final class Unpack implements java.util.concurrent.Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.nar")
        Path nar;

        @Parameters(index = "1", paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws IOException {
            try (InputStream in = open(nar)) {
                NarUnpacker.unpack(in, dir);
            }
            return 0;
        }
    }
}
