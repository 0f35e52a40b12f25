package dev.cumulus.infra;

import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.cloudfront.BehaviorOptions;
import software.amazon.awscdk.services.cloudfront.Distribution;
import software.amazon.awscdk.services.cloudfront.SecurityPolicyProtocol;
import software.amazon.awscdk.services.cloudfront.ViewerProtocolPolicy;
import software.amazon.awscdk.services.cloudfront.origins.S3BucketOrigin;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.certificatemanager.Certificate;
import software.amazon.awscdk.services.ec2.FlowLogDestination;
import software.amazon.awscdk.services.ec2.FlowLogOptions;
import software.amazon.awscdk.services.ec2.FlowLogTrafficType;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointAwsService;
import software.amazon.awscdk.services.ec2.IpAddresses;
import software.amazon.awscdk.services.ec2.GatewayVpcEndpointOptions;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerInsights;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

/**
 * One Cumulus installation: its data ({@link StoreData}), keys, functions, build-runners and
 * protocol proxy, the alarms on builds that no runner could finish, the metrics dashboard, and optionally a public
 * binary-cache endpoint. The outputs say how to reach it.
 */
public final class CumulusStack extends Stack {
    /** The VPC's range: the proxy admits the load balancer's health checks from it. */
    static final String NETWORK_CIDR = "10.60.0.0/16";

    private final StoreData data;
    private final StoreKeys keys;

    public CumulusStack(Construct scope, String id, StackProps props, InfraConfig config) {
        super(scope, id, props);
        data = new StoreData(this, "Data", config);
        keys = new StoreKeys(this, "Keys", config);
        StoreLambdas functions = new StoreLambdas(this, "Functions", config, data, keys);

        LogGroup flowLogs = LogGroup.Builder.create(this, "NetworkFlowLogs").retention(config.logRetention())
                .removalPolicy(RemovalPolicy.DESTROY).build();
        // Public subnets only, with gateway endpoints for S3 and DynamoDB: a NAT gateway would cost by
        // the hour whether or not anything is built.
        Vpc vpc = Vpc.Builder.create(this, "Network")
                .ipAddresses(IpAddresses.cidr(NETWORK_CIDR))
                .maxAzs(2)
                .natGateways(0)
                .subnetConfiguration(List.of(SubnetConfiguration.builder().name("public")
                        .subnetType(SubnetType.PUBLIC).cidrMask(24).build()))
                .gatewayEndpoints(Map.of(
                        "S3", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.S3).build(),
                        "DynamoDB", GatewayVpcEndpointOptions.builder().service(GatewayVpcEndpointAwsService.DYNAMODB).build()))
                .flowLogs(Map.of("Rejected", FlowLogOptions.builder().trafficType(FlowLogTrafficType.REJECT)
                        .destination(FlowLogDestination.toCloudWatchLogs(flowLogs)).build()))
                .build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc)
                .containerInsightsV2(ContainerInsights.ENABLED).build();
        StoreImage image = new StoreImage(this, "Image", config, data, keys);
        List<BuildRunners> runners = config.runnerPools().pools().stream().map(pool ->
                new BuildRunners(this, "Runners" + StoreData.logicalId(pool.name()), pool, cluster, image, data, functions)).toList();
        ProtocolProxyService proxy = new ProtocolProxyService(this, "Proxy", config, vpc, cluster, image, functions, keys);

        Topic alarms = Topic.Builder.create(this, "Alarms").displayName("Cumulus alarms").enforceSsl(true).build();
        config.alarmEmail().ifPresent(email -> alarms.addSubscription(new EmailSubscription(email)));
        var deadLetters = data.queue(CloudResources.BUILD_REQUESTS_DEAD);
        Alarm deadLettered = Alarm.Builder.create(this, "BuildsDeadLettered")
                .alarmDescription("Builds reached the dead-letter queue: runners took them "
                        + CloudResources.BUILD_REQUEST_RECEIVES + " times without finishing (runners dying?). "
                        + "fail-dead-lettered-builds failed them, so their clients got an error.")
                .metric(functions.alias(StoreFunction.FAIL_DEAD_LETTERED_BUILDS).metricInvocations(MetricOptions.builder()
                        .period(Duration.minutes(5)).statistic("Sum").build()))
                .threshold(1)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                .evaluationPeriods(1)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
        Alarm stuck = Alarm.Builder.create(this, "DeadLettersStuck")
                .alarmDescription("Messages stay in the build dead-letter queue: fail-dead-lettered-builds is failing, "
                        + "so some clients wait on builds that will never finish.")
                .metric(deadLetters.metricApproximateNumberOfMessagesVisible(MetricOptions.builder()
                        .period(Duration.minutes(5)).statistic("Maximum").build()))
                .threshold(1)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                .evaluationPeriods(3)
                .treatMissingData(TreatMissingData.NOT_BREACHING)
                .build();
        deadLettered.addAlarmAction(new SnsAction(alarms));
        stuck.addAlarmAction(new SnsAction(alarms));
        for (var dead : List.of(CloudResources.BUILD_SUBMISSIONS_DEAD, CloudResources.SUBSTITUTION_JOBS_DEAD,
                CloudResources.COLLECTION_STEPS_DEAD)) {
            Alarm.Builder.create(this, StoreData.logicalId(dead.name()) + "NotEmpty")
                    .alarmDescription("Messages reached " + dead.name() + ": the function that takes them failed "
                            + "each time it was given them (a build submission, a substitution job or a garbage "
                            + "collection's step was not handled).")
                    .metric(data.queue(dead).metricApproximateNumberOfMessagesVisible(MetricOptions.builder()
                            .period(Duration.minutes(5)).statistic("Maximum").build()))
                    .threshold(1)
                    .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
                    .evaluationPeriods(1)
                    .treatMissingData(TreatMissingData.NOT_BREACHING)
                    .build()
                    .addAlarmAction(new SnsAction(alarms));
        }
        // Build requests as events: "Cumulus Build Requested" with the detail {"drvPath", "outputs"}.
        software.amazon.awscdk.services.events.Rule.Builder.create(this, "BuildRequested")
                .description("Cumulus Build Requested events become build submissions")
                .eventPattern(software.amazon.awscdk.services.events.EventPattern.builder()
                        .detailType(List.of("Cumulus Build Requested")).build())
                .targets(List.of(software.amazon.awscdk.services.events.targets.SqsQueue.Builder
                        .create(data.queue(CloudResources.BUILD_SUBMISSIONS))
                        .message(software.amazon.awscdk.services.events.RuleTargetInput.fromEventPath("$.detail")).build()))
                .build();

        Distribution cache = null;
        String cacheUrl = switch (config.publicCache()) {
            case NONE, BUCKET -> "https://" + data.bucket().getBucketRegionalDomainName();
            case CLOUDFRONT -> {
                Distribution.Builder d = Distribution.Builder.create(this, "Cache")
                        .comment("Cumulus binary cache " + config.prefix())
                        .defaultBehavior(BehaviorOptions.builder()
                                .origin(S3BucketOrigin.withOriginAccessControl(data.bucket()))
                                .viewerProtocolPolicy(ViewerProtocolPolicy.REDIRECT_TO_HTTPS).build());
                config.cacheDomain().ifPresent(domain -> d.domainNames(List.of(domain))
                        .certificate(Certificate.fromCertificateArn(this, "CacheCertificate",
                                config.cacheCertificateArn().orElseThrow()))
                        .minimumProtocolVersion(SecurityPolicyProtocol.TLS_V1_2_2021));
                cache = d.build();
                yield "https://" + config.cacheDomain().orElse(cache.getDistributionDomainName());
            }
        };

        CfnOutput.Builder.create(this, "StoreUri").description("nix --store (add ?ssh-key=… as needed)")
                .value("ssh-ng://" + proxy.loadBalancer().getLoadBalancerDnsName()
                        + (config.sshPort() == 22 ? "" : ":" + config.sshPort())).build();
        CfnOutput.Builder.create(this, "BinaryCacheUrl").description(config.publicCache() == InfraConfig.PublicCache.NONE
                        ? "The bucket as a binary cache (private: readable with IAM credentials only)"
                        : "The public binary cache: a substituter for anyone")
                .value(cacheUrl).build();
        CfnOutput.Builder.create(this, "BucketName").value(data.bucket().getBucketName()).build();
        CfnOutput.Builder.create(this, "UploadsUrl").description("nix copy --to here: signed paths become valid in the store")
                .value("s3://" + data.uploads().getBucketName() + "?region=" + getRegion()).build();
        CfnOutput.Builder.create(this, "UploadersPolicy").description("Attach to the users and roles that upload")
                .value(data.uploaders().getManagedPolicyArn()).build();
        CfnOutput.Builder.create(this, "ResourcePrefix").description("CUMULUS_RESOURCE_PREFIX for ./cumulus gc, roots, verify")
                .value(config.prefix()).build();
        CfnOutput.Builder.create(this, "SigningKeySecret").description("Holds the signing key once a proxy or runner has started")
                .value(keys.signingKey().getSecretArn()).build();
        CfnOutput.Builder.create(this, "SshHostKeySecret").value(keys.sshHostKey().getSecretArn()).build();
        CfnOutput.Builder.create(this, "AlarmTopic").value(alarms.getTopicArn()).build();
        CfnOutput.Builder.create(this, "BuildSubmissionsQueue").description("Send {\"drvPath\", \"outputs\"} here to build")
                .value(data.queue(CloudResources.BUILD_SUBMISSIONS).getQueueUrl()).build();
        new MetricsDashboard(this, "Metrics", config);
        CfnOutput.Builder.create(this, "DashboardUrl").description("The dashboard (IAM-authenticated: sign requests with SigV4, "
                        + "service lambda)").value(functions.dashboardUrl().getUrl()).build();
        CfnOutput.Builder.create(this, "BuildEventsQueue").description("One message per ended build submission")
                .value(data.queue(CloudResources.BUILD_EVENTS).getQueueUrl()).build();

        NagFindings.suppress(this, config, data, keys, functions, runners, proxy, java.util.Optional.ofNullable(cache));
    }

    public StoreData data() {
        return data;
    }

    public StoreKeys keys() {
        return keys;
    }
}
