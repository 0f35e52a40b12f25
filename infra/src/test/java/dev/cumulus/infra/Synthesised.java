package dev.cumulus.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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

    static Path root() {
        return Path.of(System.getProperty("cumulus.root", "..")).toAbsolutePath().normalize();
    }
}
