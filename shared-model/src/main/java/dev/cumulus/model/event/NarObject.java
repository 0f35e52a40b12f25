package dev.cumulus.model.event;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.narinfo.NarInfo;
import dev.cumulus.model.store.PathInfo;
import java.util.Optional;

/**
 * Where a path's NAR lies in the store bucket: the object key, its compression ({@code zstd},
 * {@code xz} or {@code none}) and the hash and size of the compressed file.
 */
public record NarObject(String key, String compression, String fileHash, long fileSize) {
    /** The narinfo the bucket serves for {@code info}, whose NAR is this object. */
    public NarInfo narInfo(PathInfo info) {
        return new NarInfo(info, key, compression, Optional.ofNullable(fileHash).map(Hash::parseAny), fileSize, "");
    }
}
