package dev.cumulus.model.cache;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/** How NAR files in a binary cache are compressed, with the names Nix uses in narinfos. */
public enum NarCompression {
    ZSTD("zstd", ".zst"),
    XZ("xz", ".xz"),
    /** What a narinfo without a {@code Compression} line means (Nix's default of old). */
    BZIP2("bzip2", ".bz2"),
    NONE("none", "");

    private final String nixName;
    private final String extension;

    NarCompression(String nixName, String extension) {
        this.nixName = nixName;
        this.extension = extension;
    }

    /** The narinfo's {@code Compression:} value. */
    public String nixName() {
        return nixName;
    }

    /** What follows {@code .nar} in the file's name. */
    public String extension() {
        return extension;
    }

    public static NarCompression parse(String name) {
        for (NarCompression c : values()) {
            if (c.nixName.equals(name.toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException("unsupported NAR compression '" + name + "' (zstd, xz, bzip2 or none)");
    }

    /**
     * A stream that compresses into {@code out}; closing it finishes the compressed file but leaves
     * {@code out} open (the caller decides whether the object is committed).
     */
    public OutputStream compress(OutputStream out) throws IOException {
        OutputStream shielded = new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
        return switch (this) {
            // Level 3 is zstd's default: several times faster than xz at a modest cost in size.
            case ZSTD -> new ZstdOutputStream(shielded, 3);
            case XZ -> new XZOutputStream(shielded, new LZMA2Options(6));
            case BZIP2 -> new BZip2CompressorOutputStream(shielded);
            case NONE -> shielded;
        };
    }

    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case ZSTD -> new ZstdInputStream(in).setContinuous(false);
            case XZ -> new XZInputStream(in);
            // Concatenated streams too, as Nix's bzip2 decompressor reads them.
            case BZIP2 -> new BZip2CompressorInputStream(in, true);
            case NONE -> in;
        };
    }
}
