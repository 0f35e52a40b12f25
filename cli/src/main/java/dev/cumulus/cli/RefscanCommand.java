package dev.cumulus.cli;

import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.refscan.RefScanOutputStream;
import dev.cumulus.refscan.RefScanner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Which hash parts occur in a path's NAR: the references a build output has. */
@Command(name = "refscan", mixinStandardHelpOptions = true,
        description = "Print which needles (nix32 hash parts, one per line in FILE) occur in the NAR of PATH.")
final class RefscanCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--needles", required = true, paramLabel = "FILE")
    Path needles;

    @Parameters(paramLabel = "PATH")
    Path path;

    @Override
    public Integer call() throws IOException {
        List<String> hashParts = Files.readAllLines(needles).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        RefScanner scanner = new RefScanner(hashParts);
        NarWriter.dump(path, new RefScanOutputStream(scanner));
        scanner.foundNeedles().forEach(System.out::println);
        return 0;
    }
}
