package dev.cumulus.infra;

import dev.cumulus.model.build.RunnerPool;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.resources.CloudResources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.applicationautoscaling.AdjustmentType;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.applicationautoscaling.BasicStepScalingPolicyProps;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.autoscaling.AutoScalingGroup;
import software.amazon.awscdk.services.ec2.BlockDevice;
import software.amazon.awscdk.services.ec2.BlockDeviceVolume;
import software.amazon.awscdk.services.ec2.EbsDeviceOptions;
import software.amazon.awscdk.services.ec2.EbsDeviceVolumeType;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.LaunchTemplate;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.ec2.UserData;
import software.amazon.awscdk.services.ecs.AmiHardwareType;
import software.amazon.awscdk.services.ecs.AsgCapacityProvider;
import software.amazon.awscdk.services.ecs.BaseService;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.Compatibility;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.Device;
import software.amazon.awscdk.services.ecs.DevicePermission;
import software.amazon.awscdk.services.ecs.Ec2Service;
import software.amazon.awscdk.services.ecs.EcsOptimizedImage;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.LinuxParameters;
import software.amazon.awscdk.services.ecs.NetworkMode;
import software.amazon.awscdk.services.ecs.TaskDefinition;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * The build-runners of one runner pool: a Fargate service of the pool's task size and architecture
 * that scales with the backlog of the pool's two queues (messages waiting plus builds running), down
 * to its warm minimum (none by default) when there is nothing to build. A runner protects its task
 * from scale-in while it builds, so scaling in never stops a build.
 */
public final class BuildRunners extends Construct {
    private final BaseService service;
    private final TaskDefinition task;
    /** An EC2 pool's instances: their group, its capacity provider and the instances' role. */
    public record Ec2Capacity(AutoScalingGroup group, AsgCapacityProvider provider, Role role) {}

    private final Optional<Ec2Capacity> instances;

    public BuildRunners(Construct scope, String id, RunnerPool pool, Cluster cluster, StoreImage image,
                        StoreData data, StoreLambdas functions) {
        super(scope, id);
        RunnerPoolSize size = RunnerPoolSize.of(pool);
        List<String> command = List.of("runner", "--functions", "lambda", "--pool", pool.name(), "--work-dir",
                "/var/lib/cumulus/runner");
        instances = size.ec2InstanceType().map(type -> instances(cluster, type, size));
        if (instances.isPresent()) {
            // Bridge networking: the task shares its instance's public address (public subnets, no NAT).
            task = TaskDefinition.Builder.create(this, "Task")
                    .compatibility(Compatibility.EC2)
                    .networkMode(NetworkMode.BRIDGE)
                    .cpu(Integer.toString(size.cpu()))
                    .memoryMiB(Integer.toString(size.memoryMb()))
                    .build();
            LinuxParameters kvm = LinuxParameters.Builder.create(this, "Devices").build();
            kvm.addDevices(Device.builder().hostPath("/dev/kvm").containerPath("/dev/kvm")
                    .permissions(List.of(DevicePermission.READ, DevicePermission.WRITE)).build());
            image.addContainer(this, task, size.architecture(), "runner", command, Map.of(), Optional.of(kvm));
        } else {
            task = FargateTaskDefinition.Builder.create(this, "Task")
                    .cpu(size.cpu())
                    .memoryLimitMiB(size.memoryMb())
                    .ephemeralStorageGiB(size.storageGiB())
                    .runtimePlatform(RuntimePlatform.builder().cpuArchitecture(size.architecture())
                            .operatingSystemFamily(OperatingSystemFamily.LINUX).build())
                    .build();
            image.addContainer(this, task, size.architecture(), "runner", command, Map.of(), Optional.empty());
        }

        Queue clientBuilds = data.queue(CloudResources.buildRequests(pool.name()));
        Queue batchBuilds = data.queue(CloudResources.batchBuildRequests(pool.name()));
        clientBuilds.grantConsumeMessages(task.getTaskRole());
        batchBuilds.grantConsumeMessages(task.getTaskRole());
        for (StoreFunction<?, ?> f : FunctionAccess.CALLED_BY_RUNNER) {
            functions.alias(f).grantInvoke(task.getTaskRole());
        }
        // Scale-in protection through the ECS agent while the runner builds (ScaleInProtection); ECS
        // takes the task's own ARN, which no policy can name before the task exists.
        task.getTaskRole().addToPrincipalPolicy(PolicyStatement.Builder.create()
                .actions(List.of("ecs:UpdateTaskProtection", "ecs:GetTaskProtection"))
                .resources(List.of("*"))
                .conditions(Map.of("ArnEquals", Map.of("ecs:cluster", cluster.getClusterArn())))
                .build());

        if (instances.isPresent()) {
            // The capacity provider starts an instance when a task needs one and lets it go when idle.
            service = Ec2Service.Builder.create(this, "Service")
                    .cluster(cluster)
                    .taskDefinition(task)
                    .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
                    .desiredCount(size.min())
                    .minHealthyPercent(0)
                    .maxHealthyPercent(200)
                    .capacityProviderStrategies(List.of(CapacityProviderStrategy.builder()
                            .capacityProvider(instances.get().provider().getCapacityProviderName()).weight(1).build()))
                    .build();
        } else {
            service = FargateService.Builder.create(this, "Service")
                    .cluster(cluster)
                    .taskDefinition(task)
                    .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
                    .desiredCount(size.min())
                    .minHealthyPercent(0)
                    .maxHealthyPercent(200)
                    .assignPublicIp(true) // public subnets and no NAT gateway: nothing is paid while idle
                    .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                    .build();
        }

        ScalableTaskCount scaling = service.autoScaleTaskCount(EnableScalingProps.builder()
                .minCapacity(size.min()).maxCapacity(size.max()).build());
        MathExpression backlog = MathExpression.Builder.create()
                .expression("waiting + running + batchWaiting + batchRunning")
                .usingMetrics(Map.of(
                        "waiting", clientBuilds.metricApproximateNumberOfMessagesVisible(),
                        "running", clientBuilds.metricApproximateNumberOfMessagesNotVisible(),
                        "batchWaiting", batchBuilds.metricApproximateNumberOfMessagesVisible(),
                        "batchRunning", batchBuilds.metricApproximateNumberOfMessagesNotVisible()))
                .period(Duration.minutes(1))
                .label("builds waiting or running")
                .build();
        scaling.scaleOnMetric("Backlog", BasicStepScalingPolicyProps.builder()
                .metric(backlog)
                .adjustmentType(AdjustmentType.EXACT_CAPACITY)
                .scalingSteps(steps(size.max()))
                .evaluationPeriods(1)
                .cooldown(Duration.minutes(1))
                .build());
    }

    /**
     * The pool's EC2 instances: an auto scaling group of {@code type} (the ECS-optimised Amazon Linux
     * 2023 image for the pool's architecture) from none up to a task per instance at the pool's
     * maximum, scaled by its capacity provider, which also keeps instances with running tasks from
     * being terminated. Containers reach neither the instance metadata service nor its role: IMDSv2
     * with a hop limit of one, and a firewall rule for Docker's bridge.
     */
    private Ec2Capacity instances(Cluster cluster, String type, RunnerPoolSize size) {
        UserData userData = UserData.forLinux();
        userData.addCommands("iptables --insert DOCKER-USER 1 --in-interface docker+ --destination 169.254.169.254/32 "
                + "--jump DROP || iptables --insert FORWARD 1 --in-interface docker+ --destination 169.254.169.254/32 --jump DROP");
        // Outbound only: the runners reach the functions, queues and bucket; nothing reaches them.
        SecurityGroup outboundOnly = SecurityGroup.Builder.create(this, "InstancesSecurityGroup")
                .vpc(cluster.getVpc()).allowAllOutbound(true).description("Cumulus runner instances: outbound only").build();
        Role role = Role.Builder.create(this, "InstanceRole").assumedBy(new ServicePrincipal("ec2.amazonaws.com")).build();
        LaunchTemplate template = LaunchTemplate.Builder.create(this, "InstanceTemplate")
                .instanceType(new InstanceType(type))
                .machineImage(EcsOptimizedImage.amazonLinux2023(size.architecture().equals(CpuArchitecture.ARM64)
                        ? AmiHardwareType.ARM : AmiHardwareType.STANDARD))
                .userData(userData)
                .role(role)
                .securityGroup(outboundOnly)
                .associatePublicIpAddress(true) // public subnets and no NAT gateway, as the Fargate pools
                .requireImdsv2(true)
                .httpPutResponseHopLimit(1)
                .blockDevices(List.of(BlockDevice.builder().deviceName("/dev/xvda")
                        .volume(BlockDeviceVolume.ebs(size.storageGiB(), EbsDeviceOptions.builder().encrypted(true)
                                .volumeType(EbsDeviceVolumeType.GP3).build())).build()))
                .build();
        AutoScalingGroup group = AutoScalingGroup.Builder.create(this, "Instances")
                .vpc(cluster.getVpc())
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .launchTemplate(template)
                .minCapacity(0)
                .maxCapacity(size.max())
                .build();
        AsgCapacityProvider provider = AsgCapacityProvider.Builder.create(this, "Capacity")
                .autoScalingGroup(group)
                .enableManagedScaling(true)
                .enableManagedTerminationProtection(true)
                .build();
        cluster.addAsgCapacityProvider(provider);
        return new Ec2Capacity(group, provider, role);
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

    /** An EC2 pool's instances; empty for a Fargate pool. */
    public Optional<Ec2Capacity> instances() {
        return instances;
    }

    public TaskDefinition task() {
        return task;
    }

    public BaseService service() {
        return service;
    }
}
