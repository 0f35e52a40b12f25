package dev.cumulus.infra;

import dev.cumulus.model.event.StoreFunction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.ec2.IVpc;
import software.amazon.awscdk.services.ec2.Peer;
import software.amazon.awscdk.services.ec2.Port;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.DeploymentCircuitBreaker;
import software.amazon.awscdk.services.ecs.ContainerDefinition;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LoadBalancerTargetOptions;
import software.amazon.awscdk.services.ecs.OperatingSystemFamily;
import software.amazon.awscdk.services.ecs.PortMapping;
import software.amazon.awscdk.services.ecs.RuntimePlatform;
import software.amazon.awscdk.services.elasticloadbalancingv2.AddNetworkTargetsProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.BaseNetworkListenerProps;
import software.amazon.awscdk.services.elasticloadbalancingv2.HealthCheck;
import software.amazon.awscdk.services.elasticloadbalancingv2.NetworkListener;
import software.amazon.awscdk.services.elasticloadbalancingv2.NetworkLoadBalancer;
import software.amazon.awscdk.services.elasticloadbalancingv2.Protocol;
import software.constructs.Construct;

/**
 * The protocol proxy as nix-daemon over SSH: Fargate tasks running {@code cumulus proxy --ssh-port}
 * behind an internet-facing network load balancer. Every task serves the host key kept in Secrets
 * Manager and admits the configured authorized keys; NAR bytes go straight to the bucket, everything
 * else to the functions' aliases.
 */
public final class ProtocolProxyService extends Construct {
    /** The port the proxy's SSH server listens on inside its task. */
    static final int CONTAINER_SSH_PORT = 2222;

    private final NetworkLoadBalancer loadBalancer;
    private final FargateService service;
    private final FargateTaskDefinition task;

    public ProtocolProxyService(Construct scope, String id, InfraConfig config, IVpc vpc, Cluster cluster,
                                StoreImage image, StoreLambdas functions, StoreKeys keys) {
        super(scope, id);
        task = FargateTaskDefinition.Builder.create(this, "Task")
                .cpu(config.proxyCpu())
                .memoryLimitMiB(config.proxyMemoryMb())
                .runtimePlatform(RuntimePlatform.builder().cpuArchitecture(CpuArchitecture.X86_64)
                        .operatingSystemFamily(OperatingSystemFamily.LINUX).build())
                .build();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CUMULUS_SSH_HOST_KEY_SECRET", keys.sshHostKey().getSecretArn());
        env.put("CUMULUS_AUTHORIZED_KEYS", String.join("\n", config.authorizedKeys()));
        ContainerDefinition container = image.addContainer(this, task, CpuArchitecture.X86_64, "proxy",
                List.of("proxy", "--ssh-port", Integer.toString(CONTAINER_SSH_PORT), "--ssh-host", "0.0.0.0",
                        "--host-key", "/var/lib/cumulus/ssh_host_key", "--functions", "lambda", "--emf-metrics"), env, java.util.Optional.empty());
        container.addPortMappings(PortMapping.builder().containerPort(CONTAINER_SSH_PORT).build());

        keys.sshHostKey().grantRead(task.getTaskRole());
        keys.sshHostKey().grantWrite(task.getTaskRole());
        for (StoreFunction<?, ?> f : FunctionAccess.CALLED_BY_PROXY) {
            functions.alias(f).grantInvoke(task.getTaskRole());
        }

        service = FargateService.Builder.create(this, "Service")
                .cluster(cluster)
                .taskDefinition(task)
                .circuitBreaker(DeploymentCircuitBreaker.builder().rollback(true).build())
                .desiredCount(config.proxyTasks())
                .minHealthyPercent(100)
                .maxHealthyPercent(200)
                .assignPublicIp(true) // public subnets and no NAT gateway
                .vpcSubnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .build();
        // SSH is authenticated by key; sshAllowedCidr narrows who may even try.
        service.getConnections().allowFrom(Peer.ipv4(config.sshAllowedCidr()), Port.tcp(CONTAINER_SSH_PORT),
                "SSH clients (through the load balancer, which keeps their address)");
        service.getConnections().allowFrom(Peer.ipv4(CumulusStack.NETWORK_CIDR), Port.tcp(CONTAINER_SSH_PORT),
                "the load balancer's health checks");

        loadBalancer = NetworkLoadBalancer.Builder.create(this, "LoadBalancer")
                .vpc(vpc)
                .internetFacing(true)
                .crossZoneEnabled(true)
                .build();
        NetworkListener listener = loadBalancer.addListener("Ssh", BaseNetworkListenerProps.builder()
                .port(config.sshPort()).protocol(Protocol.TCP).build());
        listener.addTargets("Proxy", AddNetworkTargetsProps.builder()
                .port(CONTAINER_SSH_PORT)
                .protocol(Protocol.TCP)
                .targets(List.of(service.loadBalancerTarget(LoadBalancerTargetOptions.builder()
                        .containerName(container.getContainerName()).containerPort(CONTAINER_SSH_PORT).build())))
                .healthCheck(HealthCheck.builder().protocol(Protocol.TCP).interval(Duration.seconds(30)).build())
                // Nix sessions are long-lived; give them time to finish when a task is replaced.
                .deregistrationDelay(Duration.minutes(5))
                .build());
    }

    public NetworkLoadBalancer loadBalancer() {
        return loadBalancer;
    }

    public FargateTaskDefinition task() {
        return task;
    }

    public FargateService service() {
        return service;
    }
}
