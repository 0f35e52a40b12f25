package dev.cumulus.model.event;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A path info as events carry it: full store paths, the NAR hash as {@code sha256:<nix32>}, signatures
 * and content address in Nix's text forms; {@code deriver} and {@code ca} are null when absent.
 */
public record PathInfoEvent(String path, String deriver, String narHash, long narSize, List<String> references,
                            long registrationTime, boolean ultimate, List<String> signatures, String ca) {

    public PathInfoEvent {
        references = references == null ? List.of() : List.copyOf(references);
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    public static PathInfoEvent of(StoreDir storeDir, PathInfo info) {
        return new PathInfoEvent(storeDir.print(info.path()), info.deriver().map(storeDir::print).orElse(null),
                info.narHash().toString(HashFormat.NIX32), info.narSize(),
                info.references().stream().map(storeDir::print).toList(), info.registrationTime(), info.ultimate(),
                info.signatures().stream().map(Signature::render).toList(),
                info.ca().map(ContentAddress::render).orElse(null));
    }

    /** The model form; throws IllegalArgumentException naming the field that does not parse. */
    public PathInfo toPathInfo(StoreDir storeDir) {
        if (path == null || narHash == null) {
            throw new IllegalArgumentException("a path info needs 'path' and 'narHash'");
        }
        TreeSet<StorePath> refs = new TreeSet<>();
        references.forEach(r -> refs.add(storeDir.parse(r)));
        return new PathInfo(storeDir.parse(path), Optional.ofNullable(deriver).map(storeDir::parse), Hash.parseAny(narHash),
                narSize, refs, registrationTime, ultimate, signatures.stream().map(Signature::parse).toList(),
                Optional.ofNullable(ca).map(ContentAddress::parse));
    }
}
