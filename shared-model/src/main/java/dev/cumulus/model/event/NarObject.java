package dev.cumulus.model.event;

/**
 * Where a path's NAR lies in the store bucket: the object key, its compression ({@code zstd},
 * {@code xz} or {@code none}) and the hash and size of the compressed file.
 */
public record NarObject(String key, String compression, String fileHash, long fileSize) {}
