package dev.cumulus.infra;

import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.applicationautoscaling.AdjustmentType;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.applicationautoscaling.BasicStepScalingPolicyProps;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * The build-runners: a Fargate service that scales with the build queue's backlog (messages waiting
 * plus builds running), down to no task at all when there is nothing to build.
 */
public final class BuildRunners extends Construct {
    private final FargateService service;
    private final FargateTaskDefinition task;

    public BuildRunners(Construct scope, String id, InfraConfig config, Cluster cluster, StoreImage image,
                        StoreData data, StoreLambdas functions) {
        super(scope, id);
        task = FargateTaskDefinition.Builder.create(this, "Task")
                .cpu(config.runnerCpu())
                .memoryLimitMiB(config.runnerMemoryMb())
                .ephemeralStorageGiB(config.runnerEphemeralStorageGiB())
                .runtimePlatform(RuntimePlatform.builder().cpuArchitecture(CpuArchitecture.X86_64)
                        .operatingSystemFamily(OperatingSystemFamily.LINUX).build())
                .build();
        image.addContainer(this, task, "runner",
                List.of("runner", "--functions", "lambda", "--work-dir", "/var/lib/cumulus/runner"), Map.of());

        Queue queue = data.queue(CloudResources.BUILD_REQUESTS);
        queue.grantConsumeMessages(task.getTaskRole());
        for (StoreFunction<?, ?> f : FunctionAccess.CALLED_BY_RUNNER) {
            functions.alias(f).grantInvoke(task.getTaskRole());
        }

        service = FargateService.Builder.create(this, "Service")
                .cluster(cluster)
                .taskDefinition(task)
                .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
                .desiredCount(0)
                .minHealthyPercent(0)
                .maxHealthyPercent(200)
                .assignPublicIp(true) // public subnets and no NAT gateway: nothing is paid while idle
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .build();

        ScalableTaskCount scaling = service.autoScaleTaskCount(EnableScalingProps.builder()
                .minCapacity(0).maxCapacity(config.maxRunners()).build());
        MathExpression backlog = MathExpression.Builder.create()
                .expression("waiting + running")
                .usingMetrics(Map.of(
                        "waiting", queue.metricApproximateNumberOfMessagesVisible(),
                        "running", queue.metricApproximateNumberOfMessagesNotVisible()))
                .period(Duration.minutes(1))
                .label("builds waiting or running")
                .build();
        scaling.scaleOnMetric("Backlog", BasicStepScalingPolicyProps.builder()
                .metric(backlog)
                .adjustmentType(AdjustmentType.EXACT_CAPACITY)
                .scalingSteps(steps(config.maxRunners()))
                .evaluationPeriods(1)
                .cooldown(Duration.minutes(1))
                .build());
    }

    /** A runner per build up to the limit, in steps of powers of two; none when the queue is empty. */
    static List<ScalingInterval> steps(int max) {
        List<ScalingInterval> steps = new ArrayList<>();
        steps.add(ScalingInterval.builder().upper(1).change(0).build());
        for (int n = 1; n < max; n *= 2) {
            steps.add(ScalingInterval.builder().lower(n).change(n).build());
        }
        steps.add(ScalingInterval.builder().lower(max).change(max).build());
        return steps;
    }

    public FargateTaskDefinition task() {
        return task;
    }

    public FargateService service() {
        return service;
    }
}
