package dev.cumulus.model.store;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.Nix32;
import java.util.Collection;
import java.util.TreeSet;

/**
 * A store directory ({@code /nix/store} by default): parses and prints full store paths and
 * computes them the way Nix does. The store directory is part of every path's hash.
 */
public record StoreDir(String path) {
    public static final StoreDir DEFAULT = new StoreDir("/nix/store");

    public StoreDir {
        if (!path.startsWith("/") || (path.length() > 1 && path.endsWith("/"))) {
            throw new IllegalArgumentException("store directory '" + path + "' must be absolute, without a trailing slash");
        }
    }

    public String print(StorePath p) {
        return path + "/" + p.baseName();
    }

    /** Parses a full store path; no trailing components are allowed. */
    public StorePath parse(String full) {
        String prefix = path + "/";
        if (!full.startsWith(prefix)) {
            throw new InvalidStorePathException("path '" + full + "' is not in the Nix store " + path);
        }
        String base = full.substring(prefix.length());
        if (base.indexOf('/') >= 0) {
            throw new InvalidStorePathException("path '" + full + "' is inside a store path, not a store path");
        }
        return StorePath.parseBaseName(base);
    }

    /** Parses a path that may point inside a store path, giving the store path and the rest ({@code ""} or {@code /sub/dir}). */
    public StorePathAndSubpath parseWithSubpath(String full) {
        String prefix = path + "/";
        if (!full.startsWith(prefix)) {
            throw new InvalidStorePathException("path '" + full + "' is not in the Nix store " + path);
        }
        String rest = full.substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            return new StorePathAndSubpath(StorePath.parseBaseName(rest), "");
        }
        return new StorePathAndSubpath(StorePath.parseBaseName(rest.substring(0, slash)), rest.substring(slash));
    }

    public record StorePathAndSubpath(StorePath storePath, String subpath) {}

    /**
     * Nix's {@code makeStorePath}: the path hash is sha256 of
     * {@code type:algo:base16:storeDir:name}, xor-folded to 20 bytes.
     */
    public StorePath makeStorePath(String type, Hash hash, String name) {
        StorePath.checkName(name);
        String s = type + ":" + hash.algorithm().nixName() + ":" + hash.toBase16() + ":" + path + ":" + name;
        byte[] compressed = Hash.sha256(s).compress(StorePath.HASH_BYTES);
        return new StorePath(Nix32.encode(compressed), name);
    }

    /** The path of output {@code outputName} of an input-addressed derivation named {@code drvName}. */
    public StorePath makeOutputPath(String outputName, Hash drvHashModulo, String drvName) {
        return makeStorePath("output:" + outputName, drvHashModulo, outputPathName(drvName, outputName));
    }

    /** {@code name} for {@code out}, {@code name-output} otherwise. */
    public static String outputPathName(String drvName, String outputName) {
        return outputName.equals("out") ? drvName : drvName + "-" + outputName;
    }

    private String makeType(String type, Collection<StorePath> references, boolean selfReference) {
        StringBuilder sb = new StringBuilder(type);
        for (StorePath ref : new TreeSet<>(references)) {
            sb.append(':').append(print(ref));
        }
        if (selfReference) {
            sb.append(":self");
        }
        return sb.toString();
    }

    /** A text path ({@code .drv} files, {@code builtins.toFile}): sha256 of the contents, with references. */
    public StorePath makeTextPath(String name, Hash contentHash, Collection<StorePath> references) {
        if (contentHash.algorithm() != HashAlgorithm.SHA256) {
            throw new IllegalArgumentException("text paths are hashed with sha256, not " + contentHash.algorithm());
        }
        return makeStorePath(makeType("text", references, false), contentHash, name);
    }

    /**
     * A fixed-output path. NAR-hashed sha256 content may have references (it is a "source");
     * anything else may not.
     */
    public StorePath makeFixedOutputPath(String name, ContentAddressMethod method, Hash hash,
                                         Collection<StorePath> references, boolean selfReference) {
        if (method == ContentAddressMethod.TEXT) {
            if (selfReference) {
                throw new IllegalArgumentException("text paths cannot refer to themselves");
            }
            return makeTextPath(name, hash, references);
        }
        if (method == ContentAddressMethod.NAR && hash.algorithm() == HashAlgorithm.SHA256) {
            return makeStorePath(makeType("source", references, selfReference), hash, name);
        }
        if (!references.isEmpty() || selfReference) {
            throw new IllegalArgumentException("fixed-output path '" + name + "' hashed with " + method.jsonName() + ":"
                    + hash.algorithm() + " cannot have references");
        }
        Hash inner = Hash.sha256("fixed:out:" + method.prefix() + hash.algorithm().nixName() + ":" + hash.toBase16() + ":");
        return makeStorePath("output:out", inner, name);
    }

    /** The path a content-addressed object gets from its content address and references. */
    public StorePath makeFixedOutputPathFromCA(String name, ContentAddress ca, Collection<StorePath> references,
                                               boolean selfReference) {
        return makeFixedOutputPath(name, ca.method(), ca.hash(), references, selfReference);
    }
}
