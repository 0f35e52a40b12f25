package dev.cumulus.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.resources.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.CfnResource;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.constructs.IConstruct;

/** The synthesised stack, checked resource by resource, and the cdk-nag AWS Solutions rules over it. */
class CumulusStackTest {
    private static Synthesised synth;
    private static Template template;

    @BeforeAll
    static void synthesise() {
        synth = Synthesised.with(Map.of("prefix", "cumulus-"));
        template = synth.template();
    }

    @Test
    void everyTableIsOnDemandWithPointInTimeRecoveryAndItsTtl() {
        template.resourceCountIs("AWS::DynamoDB::Table", CloudResources.TABLES.size());
        for (TableSpec spec : CloudResources.TABLES) {
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("TableName", spec.physicalName("cumulus-"));
            props.put("BillingMode", "PAY_PER_REQUEST");
            props.put("PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true));
            props.put("TimeToLiveSpecification", spec.ttlAttribute()
                    .<Object>map(a -> Map.of("AttributeName", a, "Enabled", true)).orElse(Match.absent()));
            template.hasResource("AWS::DynamoDB::Table", Map.of("Properties", Match.objectLike(props),
                    "DeletionPolicy", "Retain"));
        }
    }

    @Test
    void theBucketIsPrivateEncryptedTlsOnlyAndExpiresWhatShouldExpire() {
        template.hasResourceProperties("AWS::S3::Bucket", Match.objectLike(Map.of(
                "BucketName", "cumulus-store",
                "BucketEncryption", Map.of("ServerSideEncryptionConfiguration",
                        List.of(Map.of("ServerSideEncryptionByDefault", Map.of("SSEAlgorithm", "AES256")))),
                "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
                        "IgnorePublicAcls", true, "RestrictPublicBuckets", true),
                "LifecycleConfiguration", Map.of("Rules", Match.arrayWith(List.of(
                        Match.objectLike(Map.of("AbortIncompleteMultipartUpload", Map.of("DaysAfterInitiation",
                                CloudResources.STORE_BUCKET.abortIncompleteUploadsAfterDays()))),
                        Match.objectLike(Map.of("Prefix", "log/", "ExpirationInDays", 90))))))));
        template.hasResourceProperties("AWS::S3::BucketPolicy", Match.objectLike(Map.of(
                "Bucket", Map.of("Ref", logicalId(synth.stack().data().bucket())),
                "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Effect", "Deny", "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false"))))))))));
        assertTrue(template.findResources("AWS::CloudFront::Distribution").isEmpty());
    }

    /**
     * Issue 27: uploads cannot reach the store bucket. Only the uploads bucket notifies the ingest; the
     * uploaders' policy names the uploads bucket alone; uploads expire; and of the functions, only
     * the ingest touches the uploads bucket.
     */
    @Test
    void uploadsLandInTheirOwnBucketAndOnlyTheIngestCarriesThemIntoTheStore() {
        StoreData data = synth.stack().data();
        template.hasResourceProperties("AWS::S3::Bucket", Match.objectLike(Map.of(
                "BucketName", "cumulus-uploads",
                "PublicAccessBlockConfiguration", Map.of("BlockPublicAcls", true, "BlockPublicPolicy", true,
                        "IgnorePublicAcls", true, "RestrictPublicBuckets", true),
                "LifecycleConfiguration", Map.of("Rules", List.of(Match.objectLike(Map.of(
                        "ExpirationInDays", CloudResources.UPLOADS_EXPIRE_AFTER_DAYS, "Status", "Enabled")))))));
        Map<String, Map<String, Object>> notifications = template.findResources("Custom::S3BucketNotifications");
        assertEquals(1, notifications.size(), notifications.toString());
        Map<String, Object> notification = props(notifications.values().iterator().next());
        assertEquals(Map.of("Ref", logicalId(data.uploads())), notification.get("BucketName"));
        String configuration = notification.get("NotificationConfiguration").toString();
        assertTrue(configuration.contains(".narinfo") && configuration.contains(".doi"), configuration);

        Map<String, Map<String, Object>> managed = template.findResources("AWS::IAM::ManagedPolicy");
        String uploaders = props(managed.get(logicalId(data.uploaders()))).get("PolicyDocument").toString();
        assertTrue(uploaders.contains(logicalId(data.uploads())) && uploaders.contains("s3:PutObject"), uploaders);
        assertFalse(uploaders.contains(logicalId(data.bucket())), uploaders);

        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        Map<String, Map<String, Object>> policies = rolePolicies();
        for (String name : FunctionAccess.BY_FUNCTION.keySet()) {
            assertEquals(name.equals(FunctionAccess.BINARY_CACHE_INGEST),
                    referencesOf(name, functions, policies).contains(logicalId(data.uploads())), name);
        }
    }

    @Test
    void eachPoolsBuildQueuesDeadLetterAfterTheirReceiveCount() {
        for (String pool : RunnerPools.parse(InfraConfig.DEFAULT_RUNNER_POOLS, 1).names()) {
            for (var queue : List.of(CloudResources.buildRequests(pool), CloudResources.batchBuildRequests(pool))) {
                template.hasResourceProperties("AWS::SQS::Queue", Match.objectLike(Map.of(
                        "QueueName", queue.physicalName("cumulus-"),
                        "VisibilityTimeout", (int) queue.visibilityTimeout().toSeconds(),
                        "RedrivePolicy", Map.of("deadLetterTargetArn", Map.of("Fn::GetAtt",
                                        List.of(logicalId(synth.stack().data().queue(CloudResources.BUILD_REQUESTS_DEAD)), "Arn")),
                                "maxReceiveCount", CloudResources.BUILD_REQUEST_RECEIVES))));
            }
        }
        // The dead-letter queue fails its builds through the function, reporting messages one by one.
        template.hasResourceProperties("AWS::Lambda::EventSourceMapping", Match.objectLike(Map.of(
                "EventSourceArn", Map.of("Fn::GetAtt",
                        List.of(logicalId(synth.stack().data().queue(CloudResources.BUILD_REQUESTS_DEAD)), "Arn")),
                "FunctionResponseTypes", List.of("ReportBatchItemFailures"))));
        // Alarms, notified on the topic: builds were dead-lettered, and dead letters are not being drained.
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
                "MetricName", "Invocations", "Threshold", 1, "AlarmActions", List.of(Map.of("Ref", Match.anyValue())))));
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
                "MetricName", "ApproximateNumberOfMessagesVisible", "Namespace", "AWS/SQS",
                "Dimensions", List.of(Map.of("Name", "QueueName", "Value", Map.of("Fn::GetAtt", List.of(
                        logicalId(synth.stack().data().queue(CloudResources.BUILD_REQUESTS_DEAD)), "QueueName")))))));
    }

    /** The dashboard: a function URL only IAM principals reach, and CloudWatch graphs of every store metric. */
    @Test
    void theDashboardIsBehindIamAndTheMetricsHaveACloudWatchDashboard() {
        template.hasResourceProperties("AWS::Lambda::Url", Match.objectLike(Map.of("AuthType", "AWS_IAM")));
        template.resourceCountIs("AWS::Lambda::Url", 1);
        Map<String, Map<String, Object>> dashboards = template.findResources("AWS::CloudWatch::Dashboard");
        assertEquals(1, dashboards.size(), dashboards.toString());
        String body = props(dashboards.values().iterator().next()).get("DashboardBody").toString();
        for (var metric : dev.cumulus.model.metrics.StoreMetrics.ALL) {
            String name = dev.cumulus.model.metrics.EmbeddedMetricFormat.cloudWatchName(metric);
            assertTrue(body.contains("MetricName=\\\"" + name + "\\\""), name + " in " + body);
        }
        template.hasOutput("DashboardUrl", Match.anyValue());
    }

    @Test
    void everyFunctionIsJava21WithSnapStartAndItsHandler() {
        List<String> names = new java.util.ArrayList<>(StoreFunction.ALL.stream().map(StoreFunction::name).toList());
        names.addAll(FunctionAccess.OTHER_FUNCTIONS);
        for (String name : names) {
            template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                    "FunctionName", "cumulus-" + name,
                    "Runtime", "java21",
                    "Handler", StoreLambdas.HANDLER,
                    "SnapStart", Map.of("ApplyOn", "PublishedVersions"),
                    "Environment", Map.of("Variables", Match.objectLike(Map.of("QUARKUS_LAMBDA_HANDLER", name,
                            "CUMULUS_RESOURCE_PREFIX", "cumulus-"))))));
        }
        // A collection's plan holds the store's scan: its steps get Lambda's most, the others the default.
        template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                "FunctionName", "cumulus-" + StoreFunction.COLLECTION_STEPS.name(), "MemorySize", 10240)));
        template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
                "FunctionName", "cumulus-" + StoreFunction.COLLECT_GARBAGE.name(), "MemorySize", 1024)));
        template.resourceCountIs("AWS::Lambda::Alias", names.size());
        template.hasResourceProperties("AWS::Lambda::Alias", Match.objectLike(Map.of("Name", StoreLambdas.ALIAS)));
    }

    /** Each function's policy names exactly the tables, bucket and queues {@link FunctionAccess} gives it. */
    @Test
    void eachFunctionTouchesOnlyWhatItUses() {
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        Map<String, Map<String, Object>> policies = rolePolicies();
        StoreData data = synth.stack().data();
        for (var entry : FunctionAccess.BY_FUNCTION.entrySet()) {
            Set<String> named = referencesOf(entry.getKey(), functions, policies);
            Set<String> expected = new TreeSet<>();
            entry.getValue().tables().keySet().forEach(t -> expected.add(logicalId(data.table(t))));
            if (entry.getValue().bucket() != FunctionAccess.BucketLevel.NONE) {
                expected.add(logicalId(data.bucket()));
            }
            for (var q : entry.getValue().sendsTo()) {
                if (q.equals(FunctionAccess.RUNNER_POOL_QUEUES)) {
                    data.buildQueues().forEach(queue -> expected.add(logicalId(queue)));
                } else {
                    expected.add(logicalId(data.queue(q)));
                }
            }
            if (entry.getKey().equals(StoreFunction.FAIL_DEAD_LETTERED_BUILDS.name())) {
                expected.add(logicalId(data.queue(CloudResources.BUILD_REQUESTS_DEAD))); // its event source
            }
            if (entry.getKey().equals(StoreFunction.SUBSTITUTE.name())) {
                expected.add(logicalId(data.queue(CloudResources.SUBSTITUTION_JOBS))); // its event source
            }
            if (entry.getKey().equals(StoreFunction.SUBMIT_GRAPHS.name())) {
                expected.add(logicalId(data.queue(CloudResources.BUILD_SUBMISSIONS))); // its event source
            }
            if (entry.getKey().equals(FunctionAccess.BINARY_CACHE_INGEST)) {
                expected.add(logicalId(data.uploads())); // what it ingests
            }
            if (entry.getValue().signs()) {
                expected.add(logicalId(synth.stack().keys().signingKey()));
            }
            assertEquals(expected, named, entry.getKey());
        }
        // And the declarations themselves, for the functions whose reach matters most.
        assertEquals(Set.of(logicalId(data.table(CloudResources.PATHS))), referencesOf("query-path-info", functions, policies));
        assertEquals(new TreeSet<>(List.of(logicalId(data.table(CloudResources.PATHS)),
                        logicalId(data.table(CloudResources.REFERRERS)), logicalId(data.table(CloudResources.DERIVATION_OUTPUTS)),
                        logicalId(data.table(CloudResources.GC_ROOTS)), logicalId(data.table(CloudResources.STORE_STATS)),
                        logicalId(data.bucket()))), // it looks for NAR files a sweep of the bucket may have removed
                referencesOf("register-paths", functions, policies));
        assertTrue(referencesOf("collect-garbage", functions, policies).contains(logicalId(data.bucket())));
        // A collection's steps reach its function one per invocation, side by side.
        template.hasResourceProperties("AWS::Lambda::EventSourceMapping", Match.objectLike(Map.of(
                "EventSourceArn", Map.of("Fn::GetAtt", List.of(logicalId(data.queue(CloudResources.COLLECTION_STEPS)), "Arn")),
                "BatchSize", 1, "FunctionResponseTypes", List.of("ReportBatchItemFailures"),
                "ScalingConfig", Map.of("MaximumConcurrency", StoreLambdas.COLLECTION_STEPS_AT_ONCE))));
        assertFalse(referencesOf("collect-garbage", functions, policies).contains(logicalId(data.table(CloudResources.BUILD_LOGS))));
        // Readers cannot write: query-path-info's own role holds no write action.
        String readerPolicy = policiesOf("query-path-info", functions, policies);
        assertTrue(readerPolicy.contains("dynamodb:GetItem"), readerPolicy);
        for (String write : List.of("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                "s3:PutObject", "s3:DeleteObject", "sqs:SendMessage")) {
            assertFalse(readerPolicy.contains(write), write + " in " + readerPolicy);
        }
    }

    /**
     * Builds driven by events: "Cumulus Build Requested" events and the submissions queue feed
     * submit-graphs; only the functions that can end a submission may put events, on the default bus.
     */
    @Test
    void buildSubmissionsComeFromEventsAndOnlyTheFunctionsThatEndThemAnnounce() {
        StoreData data = synth.stack().data();
        String submissions = logicalId(data.queue(CloudResources.BUILD_SUBMISSIONS));
        template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
                "EventPattern", Map.of("detail-type", List.of("Cumulus Build Requested")),
                "Targets", List.of(Match.objectLike(Map.of(
                        "Arn", Map.of("Fn::GetAtt", List.of(submissions, "Arn")), "InputPath", "$.detail"))))));
        template.hasResourceProperties("AWS::SQS::QueuePolicy", Match.objectLike(Map.of(
                "Queues", List.of(Map.of("Ref", submissions)),
                "PolicyDocument", Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Action", Match.arrayWith(List.of("sqs:SendMessage")),
                        "Principal", Map.of("Service", "events.amazonaws.com"))))))))));
        template.hasResourceProperties("AWS::Lambda::EventSourceMapping", Match.objectLike(Map.of(
                "EventSourceArn", Map.of("Fn::GetAtt", List.of(submissions, "Arn")),
                "FunctionResponseTypes", List.of("ReportBatchItemFailures"))));
        template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
                "Dimensions", List.of(Map.of("Name", "QueueName", "Value", Map.of("Fn::GetAtt",
                        List.of(logicalId(data.queue(CloudResources.BUILD_SUBMISSIONS_DEAD)), "QueueName")))))));

        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        Map<String, Map<String, Object>> policies = rolePolicies();
        for (var entry : FunctionAccess.BY_FUNCTION.entrySet()) {
            String documents = policiesOf(entry.getKey(), functions, policies);
            assertEquals(entry.getValue().announces(), documents.contains("events:PutEvents"), entry.getKey());
            if (entry.getValue().announces()) {
                assertTrue(documents.contains(":event-bus/default"), entry.getKey() + ": " + documents);
                assertTrue(documents.contains(logicalId(data.table(CloudResources.BUILD_GRAPH))), entry.getKey());
            }
        }
        for (String ending : List.of("submit-graph", "submit-graphs", "complete-build", "fail-build", "abandon-submission",
                "fail-dead-lettered-builds", "substitute")) {
            assertTrue(FunctionAccess.BY_FUNCTION.get(ending).announces(), ending + " can end a submission");
        }
        assertFalse(FunctionAccess.BY_FUNCTION.get("query-submission").announces());
        assertFalse(FunctionAccess.BY_FUNCTION.get("query-path-info").announces());
    }

    /**
     * The default pools: x86_64 and aarch64 (Graviton) on 2 vCPU tasks, big-parallel on 8 vCPU ones;
     * each a service of its own size and architecture running its pool's runners, scaling to zero on
     * its own two queues, its task role able to take only its own pool's builds and to protect itself
     * from scale-in; the functions that queue builds know the pools and may send to every pool.
     */
    @Test
    void eachRunnerPoolIsAServiceOfItsSizeScalingToZeroOnItsOwnQueues() {
        template.resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 3);
        template.resourceCountIs("AWS::ApplicationAutoScaling::ScalingPolicy", 6); // out and in, per pool
        Map<String, List<Object>> expected = Map.of(
                "x86_64", List.of("2048", "8192", "X86_64", 10),
                "aarch64", List.of("2048", "8192", "ARM64", 10),
                "big-parallel", List.of("8192", "32768", "X86_64", 4));
        Map<String, Map<String, Object>> policies = rolePolicies();
        Map<String, Map<String, Object>> tasks = template.findResources("AWS::ECS::TaskDefinition");
        for (var e : expected.entrySet()) {
            String pool = e.getKey();
            template.hasResourceProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of(
                    "Cpu", e.getValue().get(0), "Memory", e.getValue().get(1),
                    "RuntimePlatform", Map.of("CpuArchitecture", e.getValue().get(2), "OperatingSystemFamily", "LINUX"),
                    "ContainerDefinitions", List.of(Match.objectLike(Map.of(
                            "Command", Match.arrayWith(List.of("runner", "--functions", "lambda", "--pool", pool))))))));
            template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", Match.objectLike(Map.of(
                    "MinCapacity", 0, "MaxCapacity", e.getValue().get(3), "ScalableDimension", "ecs:service:DesiredCount")));
            // The task role of this pool consumes its own two queues and no other pool's.
            String role = tasks.values().stream().filter(t -> t.toString().contains("--pool, " + pool + ","))
                    .map(t -> ((List<?>) ((Map<?, ?>) props(t).get("TaskRoleArn")).get("Fn::GetAtt")).get(0).toString())
                    .findFirst().orElseThrow();
            Set<String> named = new TreeSet<>();
            String documents = policies.values().stream().filter(p -> ((List<?>) props(p).get("Roles")).contains(Map.of("Ref", role)))
                    .peek(p -> collectReferences(props(p).get("PolicyDocument"), named))
                    .map(p -> props(p).get("PolicyDocument").toString()).reduce("", String::concat);
            for (String other : expected.keySet()) {
                for (var q : List.of(CloudResources.buildRequests(other), CloudResources.batchBuildRequests(other))) {
                    assertEquals(other.equals(pool), named.contains(logicalId(synth.stack().data().queue(q))),
                            pool + "'s runners and " + q.name());
                }
            }
            assertTrue(documents.contains("ecs:UpdateTaskProtection"), documents);
        }
        // Graviton tasks run the arm64 build of the image, the others the amd64 one.
        Map<String, String> images = new TreeMap<>();
        tasks.values().forEach(t -> {
            Map<?, ?> container = (Map<?, ?>) ((List<?>) props(t).get("ContainerDefinitions")).getFirst();
            List<?> command = (List<?>) container.get("Command");
            if (command.contains("--pool")) {
                images.put(command.get(command.indexOf("--pool") + 1).toString(), container.get("Image").toString());
            }
        });
        assertEquals(images.get("x86_64"), images.get("big-parallel"));
        assertFalse(images.get("x86_64").equals(images.get("aarch64")), images.toString());
        template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", Match.objectLike(Map.of(
                "StepScalingPolicyConfiguration", Match.objectLike(Map.of("AdjustmentType", "ExactCapacity")))));
        // Submitting builds (the proxy's and the graph's) routes them: the pools and every pool's queues.
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        for (String submitting : List.of(StoreFunction.SUBMIT_BUILD.name(), StoreFunction.SUBMIT_GRAPHS.name())) {
            Map<String, Object> fn = functions.values().stream()
                    .filter(f -> ("cumulus-" + submitting).equals(props(f).get("FunctionName"))).findFirst().orElseThrow();
            assertEquals(RunnerPools.parse(InfraConfig.DEFAULT_RUNNER_POOLS, RunnerPoolSize::defaultCores).render(),
                    ((Map<?, ?>) ((Map<?, ?>) props(fn).get("Environment")).get("Variables")).get("CUMULUS_RUNNER_POOLS"));
            Set<String> refs = referencesOf(submitting, functions, policies);
            for (String pool : expected.keySet()) {
                assertTrue(refs.contains(logicalId(synth.stack().data().queue(CloudResources.batchBuildRequests(pool)))),
                        submitting + " sends to " + pool);
            }
        }
        assertFalse(referencesOf(StoreFunction.QUERY_PATH_INFO.name(), functions, policies).stream()
                .anyMatch(r -> r.contains("BuildRequests") || r.contains("BuildBatch")));
    }

    /**
     * A pool of kvm and nixos-test builds runs on EC2 instances of its type, scaled by a capacity
     * provider from none, with /dev/kvm passed to the runner and the instance metadata kept from
     * containers; it passes the AWS Solutions rules too.
     */
    @Test
    void aKvmPoolRunsOnEc2InstancesOfItsTypeBehindACapacityProvider() {
        Synthesised vm = Synthesised.with(Map.of("prefix", "cumulus-", "runnerPools", InfraConfig.DEFAULT_RUNNER_POOLS
                + "; vm systems=x86_64-linux features=kvm,nixos-test,benchmark ec2InstanceType=c6i.metal cpu=4096 max=2"));
        Template t = vm.template();
        t.resourceCountIs("AWS::AutoScaling::AutoScalingGroup", 1);
        t.hasResourceProperties("AWS::AutoScaling::AutoScalingGroup", Match.objectLike(Map.of("MinSize", "0", "MaxSize", "2")));
        t.hasResourceProperties("AWS::EC2::LaunchTemplate", Match.objectLike(Map.of("LaunchTemplateData", Match.objectLike(Map.of(
                "InstanceType", "c6i.metal", "MetadataOptions", Match.objectLike(Map.of("HttpTokens", "required")))))));
        t.hasResourceProperties("AWS::ECS::CapacityProvider", Match.objectLike(Map.of("AutoScalingGroupProvider",
                Match.objectLike(Map.of("ManagedTerminationProtection", "ENABLED")))));
        t.hasResourceProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of(
                "RequiresCompatibilities", List.of("EC2"), "NetworkMode", "bridge",
                "ContainerDefinitions", List.of(Match.objectLike(Map.of(
                        "Command", Match.arrayWith(List.of("--pool", "vm")),
                        "LinuxParameters", Match.objectLike(Map.of("Devices", List.of(Map.of("HostPath", "/dev/kvm",
                                "ContainerPath", "/dev/kvm", "Permissions", List.of("read", "write")))))))))));
        t.hasResourceProperties("AWS::ECS::Service", Match.objectLike(Map.of("CapacityProviderStrategy",
                List.of(Match.objectLike(Map.of("Weight", 1))))));
        assertNoNagFindings(vm);
    }

    /** A pool with a warm minimum keeps that many tasks; pools Fargate cannot run are refused when synthesised. */
    @Test
    void aWarmMinimumKeepsTasksAndPoolsFargateCannotRunAreRefused() {
        Synthesised warm = Synthesised.with(Map.of("prefix", "cumulus-", "runnerPools",
                "small systems=x86_64-linux features= min=1 max=3 cpu=1024"));
        warm.template().resourceCountIs("AWS::ApplicationAutoScaling::ScalableTarget", 1);
        warm.template().hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", Match.objectLike(Map.of(
                "MinCapacity", 1, "MaxCapacity", 3)));
        warm.template().hasResourceProperties("AWS::ECS::Service", Match.objectLike(Map.of("DesiredCount", 1)));
        warm.template().hasResourceProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of("Cpu", "1024",
                "Memory", "4096")));
        for (String refused : List.of("vm systems=x86_64-linux features=kvm,nixos-test", "mac systems=aarch64-darwin",
                "odd systems=x86_64-linux gpus=1", "wide systems=x86_64-linux min=3 max=2")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> Synthesised.with(Map.of("prefix", "cumulus-", "runnerPools", refused)));
            assertTrue(String.valueOf(e.getMessage()).contains("runner pool '" + refused.split(" ")[0] + "'"), e.getMessage());
        }
    }

    @Test
    void theProxyListensForSsh() {
        template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", Match.objectLike(Map.of(
                "Type", "network", "Scheme", "internet-facing")));
        template.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", Match.objectLike(Map.of(
                "Port", 22, "Protocol", "TCP")));
        template.hasResourceProperties("AWS::ECS::TaskDefinition", Match.objectLike(Map.of(
                "ContainerDefinitions", List.of(Match.objectLike(Map.of(
                        "Command", Match.arrayWith(List.of("proxy", "--ssh-port")),
                        "Environment", Match.arrayWith(List.of(
                                Map.of("Name", "CUMULUS_LAMBDA_ALIAS", "Value", StoreLambdas.ALIAS)))))))));
        template.resourceCountIs("AWS::SecretsManager::Secret", 2);
        template.resourceCountIs("AWS::EC2::NatGateway", 0);
    }

    @Test
    void theAwsSolutionsRulesPassOrEachExceptionIsJustified() {
        assertNoNagFindings(synth);
    }

    @Test
    void aPublicCacheBehindCloudFrontPassesTheRulesToo() {
        Synthesised cloudFront = Synthesised.with(Map.of("prefix", "cumulus-", "publicCache", "cloudfront"));
        cloudFront.template().resourceCountIs("AWS::CloudFront::Distribution", 1);
        assertNoNagFindings(cloudFront);
        Synthesised bucket = Synthesised.with(Map.of("prefix", "cumulus-", "publicCache", "bucket"));
        bucket.template().hasResourceProperties("AWS::S3::BucketPolicy", Match.objectLike(Map.of(
                "PolicyDocument", Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Sid", "PublicBinaryCacheRead", "Principal", Map.of("AWS", "*"), "Action", "s3:GetObject"))))))));
        assertNoNagFindings(bucket);
    }

    @Test
    void theDefaultPrefixCarriesAccountAndRegionSoTheBucketNameIsUnique() {
        Synthesised defaults = Synthesised.with(Map.of());
        String name = defaults.template().findResources("AWS::S3::Bucket").values().stream()
                .map(b -> String.valueOf(props(b).get("BucketName"))).filter(n -> n.contains("store"))
                .findFirst().orElseThrow();
        assertTrue(name.contains("AWS::AccountId") && name.contains("AWS::Region"), name);
    }

    private static Set<String> referencesOf(String function, Map<String, Map<String, Object>> functions,
                                            Map<String, Map<String, Object>> policies) {
        String role = functions.values().stream()
                .filter(f -> ("cumulus-" + function).equals(props(f).get("FunctionName")))
                .map(f -> ((List<?>) ((Map<?, ?>) props(f).get("Role")).get("Fn::GetAtt")).get(0).toString())
                .findFirst().orElseThrow();
        Set<String> named = new TreeSet<>();
        policies.values().stream()
                .filter(p -> ((List<?>) props(p).get("Roles")).contains(Map.of("Ref", role)))
                .forEach(p -> collectReferences(props(p).get("PolicyDocument"), named));
        return named;
    }

    /** The policy documents of {@code function}'s role, as one text. */
    private static String policiesOf(String function, Map<String, Map<String, Object>> functions,
                                     Map<String, Map<String, Object>> policies) {
        String role = functions.values().stream()
                .filter(f -> ("cumulus-" + function).equals(props(f).get("FunctionName")))
                .map(f -> ((List<?>) ((Map<?, ?>) props(f).get("Role")).get("Fn::GetAtt")).get(0).toString())
                .findFirst().orElseThrow();
        return policies.values().stream().filter(p -> ((List<?>) props(p).get("Roles")).contains(Map.of("Ref", role)))
                .map(p -> props(p).get("PolicyDocument").toString()).reduce("", String::concat);
    }

    /**
     * The roles' policies: inline ones and the managed ones CDK moves statements to when a role's
     * inline policy would outgrow IAM's size limit (both name their roles and hold a document).
     */
    private static Map<String, Map<String, Object>> rolePolicies() {
        Map<String, Map<String, Object>> all = new LinkedHashMap<>(template.findResources("AWS::IAM::Policy"));
        template.findResources("AWS::IAM::ManagedPolicy").forEach((id, p) -> {
            if (props(p).get("Roles") instanceof List<?>) {
                all.put(id, p);
            }
        });
        return all;
    }

    static void assertNoNagFindings(Synthesised s) {
        Annotations annotations = Annotations.fromStack(s.stack());
        var errors = annotations.findError("*", Match.anyValue());
        var warnings = annotations.findWarning("*", Match.anyValue());
        assertEquals(List.of(), errors.stream().map(m -> m.getId() + ": " + m.getEntry().getData()).toList());
        assertEquals(List.of(), warnings.stream().map(m -> m.getId() + ": " + m.getEntry().getData()).toList());
    }

    static String logicalId(IConstruct construct) {
        IConstruct resource = construct.getNode().getDefaultChild() != null ? construct.getNode().getDefaultChild() : construct;
        return Stack.of(construct).getLogicalId((CfnResource) resource);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> props(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    /** The logical ids a policy document refers to with Ref or Fn::GetAtt. */
    private static void collectReferences(Object node, Set<String> out) {
        if (node instanceof Map<?, ?> map) {
            if (map.get("Ref") instanceof String ref && !ref.startsWith("AWS::")) {
                out.add(ref);
            }
            if (map.get("Fn::GetAtt") instanceof List<?> getAtt) {
                out.add(getAtt.get(0).toString());
            }
            map.values().forEach(v -> collectReferences(v, out));
        } else if (node instanceof List<?> list) {
            list.forEach(v -> collectReferences(v, out));
        }
    }

}
