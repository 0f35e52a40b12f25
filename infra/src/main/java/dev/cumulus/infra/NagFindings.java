package dev.cumulus.infra;

import dev.cumulus.model.resources.CloudResources;
import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import io.github.cdklabs.cdknag.RegexAppliesTo;
import java.util.List;
import java.util.Optional;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudfront.Distribution;
import software.amazon.awscdk.services.lambda.Function;
import software.constructs.IConstruct;

/**
 * The cdk-nag AWS Solutions findings this design accepts, each with its reason. Everything else the
 * rules ask for is built in (PITR, TLS-only bucket and queues, access logs, flow logs, container
 * insights, log retention, dead-letter queue).
 */
final class NagFindings {
    private NagFindings() {}

    /** The grants CDK writes for a table: its indexes are named by a wildcard under the table's ARN. */
    private static final Object TABLE_INDEXES = RegexAppliesTo.builder().regex("/^Resource::<Data[A-Za-z0-9]+\\.Arn>\\/index\\/\\*$/").build();
    /** CDK's bucket grants: object actions by prefix wildcard on every object of the store (or uploads) bucket. */
    private static final List<Object> BUCKET_GRANTS = List.of("Action::s3:GetObject*", "Action::s3:GetBucket*",
            "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*",
            RegexAppliesTo.builder().regex("/^Resource::<Data(Store|Uploads)[A-Za-z0-9]+\\.Arn>\\/\\*$/").build());
    /** Every object of the uploads bucket: an uploader writes whatever keys Nix's binary cache store writes. */
    private static final Object UPLOADS_OBJECTS = RegexAppliesTo.builder()
            .regex("/^Resource::<DataUploads[A-Za-z0-9]+\\.Arn>\\/\\*$/").build();

    static void suppress(Stack stack, InfraConfig config, StoreData data, StoreKeys keys, StoreLambdas functions,
                         List<BuildRunners> runners, ProtocolProxyService proxy, Optional<Distribution> cache) {
        if (config.publicCache() == InfraConfig.PublicCache.BUCKET) {
            add(data.bucket(), "AwsSolutions-S2", "publicCache=bucket: the store is a public binary cache by "
                    + "choice; its policy lets anyone read nix-cache-info, narinfos, NARs and realisations, nothing else.", null);
        }
        cache.ifPresent(distribution -> {
            add(distribution, "AwsSolutions-CFR1", "A public Nix binary cache serves every country.", null);
            add(distribution, "AwsSolutions-CFR2", "It serves immutable, content-addressed files read-only; a WAF "
                    + "would cost by the hour for nothing to protect.", null);
            add(distribution, "AwsSolutions-CFR3", "CloudFront's standard logs need an ACL-enabled bucket; the "
                    + "origin's S3 access log records every fetch CloudFront makes.", null);
            if (config.cacheDomain().isEmpty()) {
                add(distribution, "AwsSolutions-CFR4", "With CloudFront's default certificate the minimum TLS version "
                        + "cannot be raised; set cacheDomain and cacheCertificateArn to get TLS 1.2 at least.", null);
            }
        });
        add(data.uploaders(), "AwsSolutions-IAM5", "Uploaders write any object of the uploads bucket, as Nix's "
                + "binary cache store names them (<hash>.narinfo, nar/<file hash>.nar.xz, realisations/…); nothing there "
                + "is served until the ingest has checked it and copied it into the store bucket.", List.of(UPLOADS_OBJECTS));
        add(data.queue(CloudResources.BUILD_EVENTS), "AwsSolutions-SQS3", "build-events is "
                + "an outbox that pipelines read, no function consumes it: a dead-letter queue would take announcements "
                + "away from their reader after a few receives.", null);
        for (Function fn : functions.functions().values()) {
            add(fn, "AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.",
                    List.of("Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"));
            add(fn, "AwsSolutions-L1", "Java 21 is the runtime the functions' Quarkus build targets (and SnapStart "
                    + "restores); moving to a newer Java is a change to the whole build, not to this stack.", null);
            add(fn, "AwsSolutions-IAM5", "Least privilege per FunctionAccess; the wildcards are CDK's grants: a "
                    + "table's indexes (table/index/*) and objects of the store bucket (object keys are content hashes).",
                    regexes(TABLE_INDEXES, BUCKET_GRANTS));
        }
        List<IConstruct> tasks = new java.util.ArrayList<>(runners.stream().map(r -> (IConstruct) r.task()).toList());
        tasks.add(proxy.task());
        for (IConstruct task : tasks) {
            add(task, "AwsSolutions-IAM5", "The task reads and writes NARs and narinfos anywhere in the store "
                    + "bucket (object keys are content hashes); ecr:GetAuthorizationToken has no resource to name, nor has "
                    + "a runner's scale-in protection its own task's ARN (limited to the cluster).",
                    regexes("Resource::*", BUCKET_GRANTS));
            add(task, "AwsSolutions-ECS2", "The environment holds names, ARNs and public keys only; the secrets "
                    + "themselves are read from Secrets Manager at start (the tasks may need to create them).", null);
        }
        for (BuildRunners pool : runners) {
            pool.instances().ifPresent(ec2 -> {
                add(ec2.group(), "AwsSolutions-AS3", "The capacity provider starts and stops a pool's instances as "
                        + "builds come and go; ECS records each as a service event, and a notification per launch "
                        + "would be noise.", null);
                add(ec2.role(), "AwsSolutions-IAM5", "The ECS agent's own permissions, as CDK grants them to a "
                        + "cluster's instances (registering, polling and submitting state has no narrower resource).",
                        List.of("Action::ecs:Submit*", "Resource::*"));
            });
        }
        add(keys.signingKey(), "AwsSolutions-SMG4", "A Nix signing key cannot rotate automatically: every client "
                + "trusts its public key by name; rotating is a deliberate change of trusted-public-keys.", null);
        add(keys.sshHostKey(), "AwsSolutions-SMG4", "An SSH host key cannot rotate automatically: clients pin it in "
                + "known_hosts.", null);
        add(proxy.loadBalancer(), "AwsSolutions-ELB2", "A network load balancer logs access for TLS listeners only; "
                + "this one passes SSH through as TCP, and the proxy logs each session.", null);
        if (config.sshAllowedCidr().equals("0.0.0.0/0")) {
            add(proxy.service(), "AwsSolutions-EC23", "SSH to the proxy is open to clients anywhere by default, as a "
                    + "remote store is; every connection is authenticated by an authorized key. Narrow it with "
                    + "-c sshAllowedCidr=…", null);
        }
        NagSuppressions.addResourceSuppressionsByPath(stack,
                "/" + stack.getStackName() + "/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource",
                List.of(NagPackSuppression.builder().id("AwsSolutions-IAM4").reason("CDK's handler that configures "
                        + "the bucket's notifications at deploy time; it only needs its logs policy.").build()));
    }

    private static List<Object> regexes(Object first, List<Object> rest) {
        List<Object> all = new java.util.ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static void add(IConstruct construct, String id, String reason, List<?> appliesTo) {
        NagPackSuppression.Builder s = NagPackSuppression.builder().id(id).reason(reason);
        if (appliesTo != null) {
            s.appliesTo(List.copyOf(appliesTo));
        }
        NagSuppressions.addResourceSuppressions(construct, List.of(s.build()), true);
    }
}
