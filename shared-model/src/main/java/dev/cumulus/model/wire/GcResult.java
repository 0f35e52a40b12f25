package dev.cumulus.model.wire;

import java.util.List;

/** CollectGarbage's answer: the paths listed or deleted (printed, as Nix sends them) and the bytes freed. */
public record GcResult(List<String> paths, long bytesFreed) {
    public GcResult {
        paths = List.copyOf(paths);
    }
}
