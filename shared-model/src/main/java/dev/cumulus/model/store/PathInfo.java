package dev.cumulus.model.store;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What a store knows about a valid path (Nix's ValidPathInfo): its NAR's hash and size, its
 * references, how it came to be, and the signatures that vouch for it.
 */
public record PathInfo(
        StorePath path,
        Optional<StorePath> deriver,
        Hash narHash,
        long narSize,
        SortedSet<StorePath> references,
        long registrationTime,
        boolean ultimate,
        List<Signature> signatures,
        Optional<ContentAddress> ca) {

    public PathInfo {
        if (narHash.algorithm() != HashAlgorithm.SHA256) {
            throw new IllegalArgumentException("the NAR hash of " + path + " must be sha256, not " + narHash.algorithm());
        }
        if (narSize < 0) {
            throw new IllegalArgumentException("the NAR size of " + path + " must not be negative");
        }
        references = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(references));
        signatures = List.copyOf(new LinkedHashSet<>(signatures));
    }

    /** A path info with just the essentials; the rest empty. */
    public static PathInfo of(StorePath path, Hash narHash, long narSize, Collection<StorePath> references) {
        return new PathInfo(path, Optional.empty(), narHash, narSize, new TreeSet<>(references), 0, false, List.of(),
                Optional.empty());
    }

    /**
     * The text signatures cover: {@code 1;<path>;<narHash nix32>;<narSize>;<references,…>}.
     * Deriver, CA and registration time are not covered.
     */
    public String fingerprint(StoreDir storeDir) {
        String refs = references.stream().map(storeDir::print).collect(Collectors.joining(","));
        return "1;" + storeDir.print(path) + ";" + narHash.toString(HashFormat.NIX32) + ";" + narSize + ";" + refs;
    }

    public PathInfo withSignatures(Collection<Signature> sigs) {
        return new PathInfo(path, deriver, narHash, narSize, references, registrationTime, ultimate, List.copyOf(sigs), ca);
    }

    public PathInfo withRegistrationTime(long time) {
        return new PathInfo(path, deriver, narHash, narSize, references, time, ultimate, signatures, ca);
    }

    public PathInfo withDeriver(Optional<StorePath> drv) {
        return new PathInfo(path, drv, narHash, narSize, references, registrationTime, ultimate, signatures, ca);
    }

    public PathInfo withCa(Optional<ContentAddress> contentAddress) {
        return new PathInfo(path, deriver, narHash, narSize, references, registrationTime, ultimate, signatures, contentAddress);
    }

    /** This info with a signature by {@code key} added. */
    public PathInfo sign(StoreDir storeDir, SecretKey key) {
        List<Signature> sigs = new ArrayList<>(signatures);
        sigs.add(key.sign(fingerprint(storeDir)));
        return withSignatures(sigs);
    }

    /** How many distinct keys among {@code keys} have a valid signature on this path. */
    public int countValidSignatures(StoreDir storeDir, Collection<PublicKey> keys) {
        String fp = fingerprint(storeDir);
        int n = 0;
        for (PublicKey k : keys) {
            for (Signature s : signatures) {
                if (k.verify(fp, s)) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    /**
     * True if this path's content address, recomputed with its references, names this very path:
     * a content-addressed path needs no signature.
     */
    public boolean isContentAddressed(StoreDir storeDir) {
        if (ca.isEmpty()) {
            return false;
        }
        TreeSet<StorePath> others = new TreeSet<>(references);
        boolean self = others.remove(path);
        try {
            return storeDir.makeFixedOutputPathFromCA(path.name(), ca.get(), others, self).equals(path);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
