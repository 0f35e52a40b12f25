package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.assertions.Template;

/** The app synthesised offline with some context, as the tests look at it. */
record Synthesised(CumulusStack stack, Template template) {

    static Synthesised with(Map<String, Object> context) {
        Map<String, Object> all = new LinkedHashMap<>(context);
        all.putIfAbsent("repositoryRoot", root().toString());
        // The assets are the real zip and jar; copying 150 MB per synthesis would only slow the tests.
        all.put("aws:cdk:disable-asset-staging", true);
        try {
            App app = new App(AppProps.builder().context(all)
                    .outdir(Files.createTempDirectory("cumulus-synth").toString()).build());
            CumulusStack stack = CumulusApp.build(app);
            return new Synthesised(stack, Template.fromStack(stack));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** {@code name} on the PATH, or where pyenv installs the machine's Python tools (cfn-lint, moto_server). */
    /**
     * The tool {@code name} where it is installed; the test is skipped where it is not, except under
     * CI ({@code CI} set), which installs it (.ci/run): there a missing tool fails the test.
     */
    static Path required(String name) {
        Optional<Path> tool = installed(name);
        String missing = name + " is not installed (pip install " + (name.equals("moto_server") ? "'moto[server]'" : name) + ")";
        if (System.getenv("CI") != null) {
            assertTrue(tool.isPresent(), missing);
        }
        assumeTrue(tool.isPresent(), missing);
        return tool.get();
    }

    static Optional<Path> installed(String name) {
        return Stream.concat(
                        Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, name)),
                        Stream.of(Path.of(System.getProperty("user.home"), ".pyenv/shims", name)))
                .filter(Files::isExecutable).findFirst();
    }

    static Path root() {
        return Path.of(System.getProperty("cumulus.root", "..")).toAbsolutePath().normalize();
    }
}
