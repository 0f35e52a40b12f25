package dev.cumulus.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/**
 * The CDK app: one {@link CumulusStack}, checked by cdk-nag's AWS Solutions rules as it synthesises.
 * {@code ./cumulus synth [OUTDIR] [-c key=value …]} runs it (default OUTDIR infra/cdk.out); under
 * the CDK CLI ({@code cdk.json}) the CLI's output directory and context apply.
 */
public final class CumulusApp {
    public static final String STACK_NAME = "Cumulus";

    private CumulusApp() {}

    public static void main(String[] args) {
        Map<String, Object> context = new LinkedHashMap<>();
        String outdir = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-c") || args[i].equals("--context")) {
                if (i + 1 >= args.length || !args[i + 1].contains("=")) {
                    throw new IllegalArgumentException(args[i] + " takes key=value");
                }
                String[] kv = args[++i].split("=", 2);
                context.put(kv[0], kv[1]);
            } else if (outdir == null && !args[i].startsWith("-")) {
                outdir = args[i];
            } else {
                throw new IllegalArgumentException("usage: synth [OUTDIR] [-c key=value ...]; context keys: "
                        + String.join(", ", InfraConfig.KEYS));
            }
        }
        for (String key : context.keySet()) {
            if (!InfraConfig.KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown context key '" + key + "'; known: " + String.join(", ", InfraConfig.KEYS));
            }
        }
        AppProps.Builder props = AppProps.builder().context(context);
        if (outdir != null) {
            props.outdir(Path.of(outdir).toAbsolutePath().toString());
        } else if (System.getenv("CDK_OUTDIR") == null) {
            props.outdir(Path.of(System.getProperty("cumulus.root", ".."), "infra", "cdk.out").toAbsolutePath().toString());
        }
        App app = new App(props.build());
        build(app);
        var assembly = app.synth();
        System.err.println("cumulus synth: wrote " + assembly.getDirectory());
    }

    /** Adds the stack and the checks to {@code app}; the tests synthesise this too. */
    public static CumulusStack build(App app) {
        // Grant S3 log delivery with a bucket policy, not the legacy log-delivery ACL.
        app.getNode().setContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);
        InfraConfig config = InfraConfig.fromContext(app.getNode());
        StackProps.Builder props = StackProps.builder().description("Cumulus: a serverless Nix store and build farm");
        config.region().ifPresent(region -> props.env(Environment.builder().region(region)
                .account(System.getenv("CDK_DEFAULT_ACCOUNT")).build()));
        CumulusStack stack = new CumulusStack(app, STACK_NAME, props.build(), config);
        Aspects.of(app).add(new AwsSolutionsChecks(NagPackProps.builder().verbose(true).build()));
        return stack;
    }
}
