package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synthesised templates pass cfn-lint, where it is installed. */
class TemplateLintTest {
    /**
     * W3005 ("dependency already enforced by a GetAtt") is how CDK orders a function after its role's
     * policy; it is redundant, not wrong.
     */
    private static final String IGNORED = "W3005";

    @TempDir
    Path tmp;

    @Test
    void theTemplatesPassCfnLint() throws Exception {
        Path lint = Synthesised.required("cfn-lint");
        for (Map<String, Object> context : java.util.List.<Map<String, Object>>of(Map.of("prefix", "cumulus-"),
                Map.of("publicCache", "cloudfront", "sshAllowedCidr", "192.0.2.0/24"),
                Map.of("publicCache", "bucket", "region", "eu-west-1"),
                // A pool on EC2 instances (kvm), beside the default Fargate pools.
                Map.of("runnerPools", InfraConfig.DEFAULT_RUNNER_POOLS
                        + "; vm systems=x86_64-linux features=kvm,nixos-test ec2InstanceType=c6i.metal max=2"))) {
            Path template = tmp.resolve("template.json");
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(template.toFile(),
                    Synthesised.with(context).template().toJSON());
            Process p = new ProcessBuilder(lint.toString(), "--ignore-checks", IGNORED, "--", template.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), context + ":\n" + out);
        }
    }
}
