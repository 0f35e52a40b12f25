package dev.cumulus.runner;

import dev.cumulus.model.build.BuildReport.BuiltOutput;
import dev.cumulus.model.build.BuildRequest;
import dev.cumulus.model.cache.BinaryCacheLayout;
import dev.cumulus.model.cache.Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.cache.NarUpload;
import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.hash.HashModuloSink;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.io.RewritingOutputStream;
import dev.cumulus.model.io.TeeOutputStream;
import dev.cumulus.model.nar.NarWriter;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.wire.BuildStatus;
import dev.cumulus.refscan.RefScanOutputStream;
import dev.cumulus.refscan.RefScanner;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Turns a finished build's outputs into store paths in the bucket: each output is serialised as a
 * NAR and scanned for the request's needles; a content-addressed one is hashed with its own hash
 * part zeroed (Nix's hash modulo), named after that hash and rewritten to its final path; then the
 * NAR is compressed and uploaded under its hash. Nothing is registered here: that is the
 * completion function's, once every NAR is in the bucket.
 */
final class OutputCollector {
    private final Bucket bucket;
    private final NarCompression compression;
    private final Optional<SecretKey> signingKey;

    OutputCollector(Bucket bucket, NarCompression compression, Optional<SecretKey> signingKey) {
        this.bucket = bucket;
        this.compression = compression;
        this.signingKey = signingKey;
    }

    List<BuiltOutput> collect(BuildRequest request, Path storeRoot, Path scratchDir) throws IOException, BuildFailure {
        StoreDir storeDir = new StoreDir(request.storeDir());
        List<BuildRequest.Output> outputs = request.outputs();
        List<StorePath> finals = new ArrayList<>();
        outputs.forEach(o -> finals.add(storeDir.parse(o.path())));
        List<BuiltOutput> built = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            BuildRequest.Output output = outputs.get(i);
            StorePath scratch = storeDir.parse(output.path());
            Path local = storeRoot.resolve(scratch.baseName());
            if (!Files.exists(local, LinkOption.NOFOLLOW_LINKS)) {
                throw new BuildFailure(BuildStatus.OUTPUT_REJECTED, "the builder did not produce its output '"
                        + output.path() + "'");
            }
            Path nar = scratchDir.resolve(i + ".nar");
            RefScanner scanner = new RefScanner(request.refscanNeedles());
            HashSink narHash = new HashSink(HashAlgorithm.SHA256);
            HashModuloSink caHash = null;
            ContentAddressMethod method = null;
            if (output.contentAddress() != null) {
                method = ContentAddressMethod.fromPrefixed(output.contentAddress());
                String algo = output.contentAddress().substring(method.prefix().length());
                caHash = new HashModuloSink(HashAlgorithm.parse(algo), scratch.hashPart());
                if (method != ContentAddressMethod.NAR) {
                    if (!Files.isRegularFile(local, LinkOption.NOFOLLOW_LINKS) || Files.isExecutable(local)) {
                        throw new BuildFailure(BuildStatus.OUTPUT_REJECTED, "output '" + output.path()
                                + "' should be a non-executable regular file since recursive hashing is not enabled");
                    }
                    try (InputStream in = Files.newInputStream(local)) {
                        in.transferTo(caHash);
                    }
                }
            }
            try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(nar))) {
                OutputStream sinks = new TeeOutputStream(new TeeOutputStream(file, new RefScanOutputStream(scanner)), narHash);
                if (caHash != null && method == ContentAddressMethod.NAR) {
                    sinks = new TeeOutputStream(sinks, caHash);
                }
                NarWriter.dump(local, sinks);
                sinks.flush();
            }
            List<Integer> found = new ArrayList<>();
            for (int n : scanner.foundIndices()) {
                found.add(n);
            }
            boolean selfReference = found.contains(i);
            TreeSet<StorePath> others = new TreeSet<>();
            for (int n : found) {
                if (n != i) {
                    others.add(n < outputs.size() ? finals.get(n) : storeDir.parse(request.inputs().get(n - outputs.size())));
                }
            }
            Optional<ContentAddress> ca = Optional.empty();
            StorePath finalPath = scratch;
            Hash finalNarHash = narHash.finish();
            long narSize = narHash.size();
            if (caHash != null) {
                ContentAddress address = new ContentAddress(method, caHash.finish());
                ca = Optional.of(address);
                if (output.expectedHash() != null && !Hash.parseAny(output.expectedHash()).equals(address.hash())) {
                    throw new BuildFailure(BuildStatus.OUTPUT_REJECTED, "hash mismatch in fixed-output derivation '"
                            + output.path() + "':\n  specified: " + Hash.parseAny(output.expectedHash()).toSri()
                            + "\n     got:    " + address.hash().toSri());
                }
                finalPath = storeDir.makeFixedOutputPathFromCA(scratch.name(), address, others, selfReference);
                if (!finalPath.equals(scratch)) {
                    Path rewritten = scratchDir.resolve(i + ".final.nar");
                    HashSink rewrittenHash = new HashSink(HashAlgorithm.SHA256);
                    try (InputStream in = Files.newInputStream(nar);
                         OutputStream file = new BufferedOutputStream(Files.newOutputStream(rewritten))) {
                        RewritingOutputStream out = RewritingOutputStream.of(new TeeOutputStream(file, rewrittenHash),
                                Map.of(scratch.hashPart(), finalPath.hashPart()));
                        in.transferTo(out);
                        out.finish();
                    }
                    nar = rewritten;
                    finalNarHash = rewrittenHash.finish();
                }
                finals.set(i, finalPath);
            }
            TreeSet<StorePath> references = new TreeSet<>(others);
            if (selfReference) {
                references.add(finalPath);
            }
            NarObject object = upload(nar, finalNarHash);
            PathInfo info = new PathInfo(finalPath, Optional.empty(), finalNarHash, narSize, references, 0, true, List.of(), ca);
            List<String> signatures = signingKey.map(k -> List.of(info.sign(storeDir, k).signatures().getLast().render()))
                    .orElse(List.of());
            built.add(new BuiltOutput(output.path(), storeDir.print(finalPath), finalNarHash.toString(HashFormat.NIX32),
                    narSize, object, ca.map(ContentAddress::render).orElse(null), found,
                    references.stream().map(storeDir::print).toList(), signatures));
        }
        return built;
    }

    private NarObject upload(Path nar, Hash narHash) throws IOException {
        String key = BinaryCacheLayout.narKey(narHash, compression);
        boolean present = bucket.touch(key);
        try (InputStream in = Files.newInputStream(nar);
             NarUpload upload = NarUpload.read(bucket, key, !present, compression, in, false, n -> { })) {
            if (!upload.narHash().equals(narHash)) {
                throw new IOException("the NAR of " + nar + " changed while it was uploaded");
            }
            upload.commit();
            return new NarObject(key, compression.nixName(), upload.fileHash().toString(HashFormat.NIX32), upload.fileSize());
        }
    }
}
