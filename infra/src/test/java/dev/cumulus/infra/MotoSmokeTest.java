package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.model.resources.CloudResources;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code moto_server} is installed: the template's data resources (tables, queues, buckets)
 * are created by moto's CloudFormation from the synthesised template, and a real Nix 2.8 copies a
 * path to a proxy over them and back again. The proxy signs with a key it makes and keeps in the
 * signing-key secret (moto's CloudFormation has no secrets, so that one is created as CloudFormation
 * would: with a random placeholder).
 */
class MotoSmokeTest {
    private static final String PREFIX = "cumulus-";
    private static final List<String> DATA_TYPES = List.of("AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket");
    private final HttpClient http = HttpClient.newHttpClient();
    private MotoServer moto;

    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void nixCopiesToAndFromAProxyOverTheTemplatesDataResources() throws Exception {
        moto = new MotoServer(tmp);
        URI endpoint = moto.endpoint();

        Synthesised synth = Synthesised.with(Map.of("prefix", PREFIX));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> resources = (Map<String, Map<String, Object>>) synth.template().toJSON().get("Resources");
        Map<String, Object> data = new LinkedHashMap<>();
        resources.forEach((id, r) -> {
            if (DATA_TYPES.contains(r.get("Type"))) {
                data.put(id, Map.of("Type", r.get("Type"), "Properties", r.get("Properties")));
            }
        });
        assertEquals(CloudResources.TABLES.size() + CloudResources.queues(
                dev.cumulus.model.build.RunnerPools.parse(InfraConfig.DEFAULT_RUNNER_POOLS, 1).names()).size() + 3, data.size(),
                "tables, queues and buckets (the store's, the uploads' and their access logs') in the template");
        String stackId = cloudFormation(endpoint, Map.of("Action", "CreateStack", "StackName", "cumulus-data",
                "TemplateBody", new ObjectMapper().writeValueAsString(Map.of("Resources", data))));
        assertTrue(stackId.contains("<StackId>"), stackId);
        String status = "";
        for (Instant until = Instant.now().plusSeconds(60); Instant.now().isBefore(until) && !status.contains("_COMPLETE"); ) {
            status = cloudFormation(endpoint, Map.of("Action", "DescribeStacks", "StackName", "cumulus-data"));
            Thread.sleep(200);
        }
        assertTrue(status.contains("<StackStatus>CREATE_COMPLETE</StackStatus>"), status);

        AwsConfig aws = new AwsConfig("us-east-1", Optional.of(endpoint), Optional.of(endpoint), Optional.of(endpoint),
                Optional.empty(), Optional.of(endpoint), PREFIX);
        AwsClients clients = new AwsClients(aws);
        String secretName = PREFIX + "signing-key";
        try (var secrets = clients.secretsManager()) {
            secrets.createSecret(c -> c.name(secretName).secretString("placeholder-" + System.nanoTime()));
        }

        // A path of our own, copied to the proxy (functions in process, everything else in moto) and back.
        Path file = tmp.resolve("smoke.txt");
        Files.writeString(file, "cumulus moto smoke " + System.nanoTime() + "\n");
        Run add = run(Map.of(), "nix-store", "--add", file.toString());
        assertEquals(0, add.exit(), add.err());
        String path = add.out().strip();

        Path program = tmp.resolve("remote-program");
        Map<String, String> proxyEnv = new LinkedHashMap<>(aws.toEnvironment());
        proxyEnv.put("CUMULUS_SIGNING_KEY_SECRET", secretName);
        // Signed requests: moto, unlike the local S3, refuses anonymous reads of private objects.
        proxyEnv.put("AWS_ACCESS_KEY_ID", "cumulus");
        proxyEnv.put("AWS_SECRET_ACCESS_KEY", "cumulus");
        Files.writeString(program, "#!/bin/sh\n" + proxyEnv.entrySet().stream().map(e -> "export " + e.getKey() + "='" + e.getValue() + "'")
                .collect(Collectors.joining("\n")) + "\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                + "' -jar '" + Synthesised.root().resolve("cli/target/cumulus.jar") + "' proxy --functions in-process \"$@\"\n");
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwx------"));
        String store = "ssh-ng://moto?remote-program=" + program;

        Run copy = run(Map.of(), "nix", "copy", "--to", store, path);
        assertEquals(0, copy.exit(), copy.err() + "\nmoto:\n" + moto.log());
        Run info = run(Map.of(), "nix", "path-info", "--json", "--store", store, path);
        assertEquals(0, info.exit(), info.err());
        assertTrue(info.out().contains("\"signatures\":[\"cumulus-1:"), info.out());
        try (var secrets = clients.secretsManager()) {
            assertTrue(secrets.getSecretValue(g -> g.secretId(secretName)).secretString().startsWith("cumulus-1:"));
        }
        try (var s3 = software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(endpoint).forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("cumulus", "cumulus")))
                .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create()).build()) {
            String hashPart = Path.of(path).getFileName().toString().substring(0, 32);
            String narinfo = s3.getObjectAsBytes(g -> g.bucket(PREFIX + "store").key(hashPart + ".narinfo")).asUtf8String();
            assertTrue(narinfo.contains("StorePath: " + path), narinfo);
        }

        Path back = tmp.resolve("back");
        Run copyBack = run(Map.of(), "nix", "copy", "--no-check-sigs", "--from", store, "--to", back.toString(), path);
        assertEquals(0, copyBack.exit(), copyBack.err());
        assertEquals(Files.readString(file), Files.readString(back.resolve(path.substring(1))));
    }

    /** One call of CloudFormation's query API (moto takes any credentials; the SDK's client is not in the mirror). */
    private String cloudFormation(URI endpoint, Map<String, String> params) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(params);
        all.put("Version", "2010-05-15");
        String form = all.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=cumulus/20260101/us-east-1/cloudformation/aws4_request, "
                        + "SignedHeaders=host, Signature=0")
                .POST(HttpRequest.BodyPublishers.ofString(form)).timeout(Duration.ofSeconds(60)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    private record Run(int exit, String out, String err) {}

    private Run run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("NIX_CONFIG", "substituters =\nexperimental-features = nix-command");
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("XDG_CACHE_HOME", tmp.resolve("cache").toString());
        Path shared = Synthesised.root().resolve("../shared").normalize();
        pb.environment().put("PATH", shared.resolve("nix-2.8-captures/tools/bin") + ":" + System.getenv("PATH"));
        pb.environment().putAll(env);
        pb.redirectOutput(tmp.resolve("out").toFile()).redirectError(tmp.resolve("err").toFile());
        Process p = pb.start();
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", pb.command()) + " did not finish in 5 minutes");
        }
        int exit = p.exitValue();
        return new Run(exit, Files.readString(tmp.resolve("out")), Files.readString(tmp.resolve("err")));
    }
}
