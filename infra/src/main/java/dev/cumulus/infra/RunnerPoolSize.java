package dev.cumulus.infra;

import dev.cumulus.model.build.RunnerPool;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awscdk.services.ecs.CpuArchitecture;

/**
 * How a runner pool is deployed on Fargate, from its settings: {@code cpu=} (task CPU units, default
 * 2048, whose vCPUs are the pool's {@code NIX_BUILD_CORES} unless {@code cores=} says otherwise),
 * {@code memoryMb=} (default 4 MiB per CPU unit), {@code storageGiB=} (ephemeral storage, default 100),
 * {@code min=} (tasks kept running while idle, so a first build need not wait for one to start;
 * default 0) and {@code max=} (default 10). The architecture is the pool's first system's.
 * {@code ec2InstanceType=} puts the pool on EC2 instances of that type instead (an auto scaling
 * group behind a capacity provider, a task per instance, {@code /dev/kvm} passed in): the only place
 * for {@code kvm} and {@code nixos-test} builds, as Fargate has no {@code /dev/kvm}; the type must
 * offer KVM to its guests (a {@code .metal} type, or one with nested virtualisation).
 */
public record RunnerPoolSize(int cpu, int memoryMb, int storageGiB, int min, int max, CpuArchitecture architecture,
                             Optional<String> ec2InstanceType) {
    static final List<String> KEYS = List.of("cpu", "memoryMb", "storageGiB", "min", "max", "ec2InstanceType");
    private static final int DEFAULT_CPU = 2048;
    /** Builds with these features run VMs: they need /dev/kvm, which Fargate does not have. */
    private static final Set<String> NEEDS_KVM = Set.of("kvm", "nixos-test");

    public static RunnerPoolSize of(RunnerPool pool) {
        pool.requireSettings(KEYS);
        Optional<String> ec2 = Optional.ofNullable(pool.settings().get("ec2InstanceType"));
        for (String f : pool.platform().features()) {
            if (NEEDS_KVM.contains(f) && ec2.isEmpty()) {
                throw new IllegalArgumentException("runner pool '" + pool.name() + "' has feature '" + f + "', which needs "
                        + "/dev/kvm: Fargate has none; give the pool ec2InstanceType= (a type whose guests have KVM)");
            }
        }
        String system = pool.platform().systems().getFirst();
        CpuArchitecture arch = switch (system) {
            case "x86_64-linux", "i686-linux" -> CpuArchitecture.X86_64;
            case "aarch64-linux" -> CpuArchitecture.ARM64;
            default -> throw new IllegalArgumentException("runner pool '" + pool.name() + "': Fargate runs no '" + system
                    + "' (x86_64-linux and aarch64-linux only)");
        };
        int cpu = pool.intSetting("cpu", 256, DEFAULT_CPU);
        int max = pool.intSetting("max", 1, 10);
        int min = pool.intSetting("min", 0, 0);
        if (min > max) {
            throw new IllegalArgumentException("runner pool '" + pool.name() + "': min=" + min + " exceeds max=" + max);
        }
        return new RunnerPoolSize(cpu, pool.intSetting("memoryMb", 512, cpu * 4), pool.intSetting("storageGiB", 21, 100),
                min, max, arch, ec2);
    }

    /** A build gets the task's vCPUs. */
    static int defaultCores(Map<String, String> settings) {
        try {
            return Math.max(1, Integer.parseInt(settings.getOrDefault("cpu", Integer.toString(DEFAULT_CPU))) / 1024);
        } catch (NumberFormatException e) {
            return 1; // the cpu value itself is refused by of()
        }
    }
}
