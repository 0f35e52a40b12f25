package dev.cumulus.model.build;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A build described without Nix, in the spirit of Tvix's build protocol: run {@code command} with
 * {@code environment} in {@code workingDir}, with the store paths {@code inputs} present under
 * {@code storeDir} and nothing else of the store; {@code scratchPaths} start empty and writable.
 * Afterwards each of {@code outputs} must exist; the runner serialises each as a NAR and reports
 * which of {@code refscanNeedles} (hash parts: the outputs' first, in order, then the inputs') it
 * contains.
 *
 * <p>An output with a {@code contentAddress} is named after its content: the runner computes its
 * final path from its NAR (or file) hash with its own hash part zeroed, as Nix does, and rewrites it;
 * {@code expectedHash} (fixed outputs) must then match.
 */
public record BuildRequest(
        String storeDir,
        List<String> command,
        SortedMap<String, String> environment,
        List<String> inputs,
        List<Output> outputs,
        String workingDir,
        List<String> scratchPaths,
        List<String> refscanNeedles,
        Constraints constraints) {

    public BuildRequest {
        command = List.copyOf(command);
        environment = new TreeMap<>(environment);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        scratchPaths = List.copyOf(scratchPaths);
        refscanNeedles = List.copyOf(refscanNeedles);
    }

    /**
     * An expected output. {@code contentAddress} is the method and hash algorithm as a derivation
     * writes them ({@code r:sha256} for a NAR hash, {@code sha256} for a flat file, {@code text:sha256})
     * when the path follows from the content, null otherwise; {@code expectedHash} (SRI) for fixed ones.
     */
    public record Output(String path, String contentAddress, String expectedHash) {}

    /**
     * Where and how long the build may run: the platform it needs, whether it may use the network
     * (fixed-output builds only), and limits in seconds (0: none).
     */
    public record Constraints(String system, boolean network, long timeoutSeconds, long maxSilentSeconds) {}

}
