package dev.cumulus.model.narinfo;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashFormat;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.PathInfo;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import dev.cumulus.model.signing.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A binary cache's {@code <hash>.narinfo}: a path's info plus where its (compressed) NAR lies.
 *
 * @param fileHash hash of the compressed file, if known
 * @param fileSize size of the compressed file, 0 if unknown
 * @param system the deriver's system, empty if unknown
 */
public record NarInfo(PathInfo info, String url, String compression, Optional<Hash> fileHash, long fileSize,
                      String system) {

    public static NarInfo parse(StoreDir storeDir, String text) {
        String storePath = null;
        String url = null;
        String compression = null;
        Hash fileHash = null;
        long fileSize = 0;
        Hash narHash = null;
        long narSize = -1;
        TreeSet<StorePath> references = new TreeSet<>();
        StorePath deriver = null;
        String system = "";
        List<Signature> sigs = new ArrayList<>();
        ContentAddress ca = null;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(": ");
            if (colon < 0) {
                throw new IllegalArgumentException("narinfo line " + lineNo + " is not 'Key: value': '" + line + "'");
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 2);
            try {
                switch (key) {
                    case "StorePath" -> storePath = value;
                    case "URL" -> url = value;
                    case "Compression" -> compression = value;
                    case "FileHash" -> fileHash = Hash.parseAny(value);
                    case "FileSize" -> fileSize = Long.parseLong(value);
                    case "NarHash" -> narHash = Hash.parseAny(value);
                    case "NarSize" -> narSize = Long.parseLong(value);
                    case "References" -> {
                        for (String r : value.split(" ")) {
                            if (!r.isEmpty()) {
                                references.add(StorePath.parseBaseName(r));
                            }
                        }
                    }
                    case "Deriver" -> deriver = value.equals("unknown-deriver") ? null : StorePath.parseBaseName(value);
                    case "System" -> system = value;
                    case "Sig" -> sigs.add(Signature.parse(value));
                    case "CA" -> ca = ContentAddress.parse(value);
                    default -> { } // Nix ignores keys it does not know, so newer caches stay readable.
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("narinfo line " + lineNo + " (" + key + "): " + e.getMessage(), e);
            }
        }
        if (storePath == null || url == null || narHash == null || narSize < 0) {
            throw new IllegalArgumentException("narinfo lacks " + (storePath == null ? "StorePath" : url == null ? "URL"
                    : narHash == null ? "NarHash" : "NarSize"));
        }
        PathInfo info = new PathInfo(storeDir.parse(storePath), Optional.ofNullable(deriver), narHash, narSize, references,
                0, false, sigs, Optional.ofNullable(ca));
        return new NarInfo(info, url, compression == null ? "bzip2" : compression, Optional.ofNullable(fileHash), fileSize,
                system);
    }

    public String render(StoreDir storeDir) {
        StringBuilder sb = new StringBuilder();
        sb.append("StorePath: ").append(storeDir.print(info.path())).append('\n');
        sb.append("URL: ").append(url).append('\n');
        sb.append("Compression: ").append(compression).append('\n');
        fileHash.ifPresent(h -> sb.append("FileHash: ").append(h.toString(HashFormat.NIX32)).append('\n'));
        if (fileSize != 0) {
            sb.append("FileSize: ").append(fileSize).append('\n');
        }
        sb.append("NarHash: ").append(info.narHash().toString(HashFormat.NIX32)).append('\n');
        sb.append("NarSize: ").append(info.narSize()).append('\n');
        sb.append("References:");
        if (info.references().isEmpty()) {
            sb.append(' ');
        }
        for (StorePath r : info.references()) {
            sb.append(' ').append(r.baseName());
        }
        sb.append('\n');
        info.deriver().ifPresent(d -> sb.append("Deriver: ").append(d.baseName()).append('\n'));
        if (!system.isEmpty()) {
            sb.append("System: ").append(system).append('\n');
        }
        for (Signature s : info.signatures()) {
            sb.append("Sig: ").append(s.render()).append('\n');
        }
        info.ca().ifPresent(c -> sb.append("CA: ").append(c.render()).append('\n'));
        return sb.toString();
    }
}
