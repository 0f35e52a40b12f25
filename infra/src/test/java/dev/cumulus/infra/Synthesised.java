package dev.cumulus.infra;

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
