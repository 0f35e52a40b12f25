package dev.cumulus.model.cache;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.hash.HashSink;
import dev.cumulus.model.nar.NarReader;
import dev.cumulus.model.nar.SingleFileCapture;
import dev.cumulus.model.io.TeeInputStream;
import dev.cumulus.model.io.TeeOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * One NAR on its way into the bucket (from a client, or from a build): read exactly one NAR off {@code in}, checking
 * its syntax, hashing it, compressing it and streaming the compressed bytes into an upload that
 * becomes visible only when the caller {@link #commit()}s. Nothing is kept whole in memory except,
 * for a {@code .drv}, the derivation file (bounded by {@link SingleFileCapture#DERIVATION_LIMIT}).
 */
public final class NarUpload implements AutoCloseable {
    private static final long PROGRESS_STEP = 16L * 1024 * 1024;

    private final BucketUpload upload;
    private final HashSink narHash = new HashSink(HashAlgorithm.SHA256);
    private final HashSink fileHash = new HashSink(HashAlgorithm.SHA256);
    private Optional<byte[]> rootFile = Optional.empty();
    private Hash narHashValue;
    private Hash fileHashValue;

    private NarUpload(BucketUpload upload) {
        this.upload = upload;
    }

    /**
     * Reads the NAR from {@code in} into an upload to {@code key}, or into nothing when
     * {@code upload} is false (the object is there already: the NAR is still read and checked).
     * {@code keepRootFile} keeps the contents of a NAR that is one regular file (a derivation).
     */
    public static NarUpload read(Bucket bucket, String key, boolean upload, NarCompression compression, InputStream in,
                          boolean keepRootFile, LongConsumer progress) throws IOException {
        return reading(new NarUpload(upload ? bucket.upload(key, "application/x-nix-nar") : null), keepRootFile, (u, capture) -> {
            OutputStream compressed = u.upload == null ? OutputStream.nullOutputStream() : u.upload;
            OutputStream compressor = compression.compress(new TeeOutputStream(compressed, u.fileHash));
            InputStream counted = new ProgressInputStream(in, progress);
            NarReader.read(new TeeInputStream(counted, new TeeOutputStream(u.narHash, compressor)), capture);
            compressor.close();
        });
    }

    /**
     * Reads a file of one NAR compressed with {@code compression} off {@code file} into an upload to
     * {@code key} as it is, byte for byte, decompressing it only to check it (syntax, NAR hash and
     * size, nothing after its end): a NAR already in the store's compression is not compressed again.
     */
    public static NarUpload readAsIs(Bucket bucket, String key, NarCompression compression, InputStream file,
                                     boolean keepRootFile) throws IOException {
        return reading(new NarUpload(bucket.upload(key, "application/x-nix-nar")), keepRootFile, (u, capture) -> {
            InputStream stored = new TeeInputStream(file, new TeeOutputStream(u.upload, u.fileHash));
            InputStream nar = compression.decompress(stored);
            NarReader.read(new TeeInputStream(nar, u.narHash), capture);
            if (nar.read() != -1) {
                throw new IOException("there is data after the end of the NAR");
            }
            stored.transferTo(OutputStream.nullOutputStream()); // the file's end the decompressor left unread is stored too
        });
    }

    /** How a NAR is read into an upload: its bytes through {@code u}'s hashes, its root file into {@code capture}. */
    private interface Reading {
        void read(NarUpload u, SingleFileCapture capture) throws IOException;
    }

    /** {@code u} once {@code reading} read its NAR, its hashes sealed; its upload thrown away if the reading fails. */
    private static NarUpload reading(NarUpload u, boolean keepRootFile, Reading reading) throws IOException {
        try {
            SingleFileCapture capture = new SingleFileCapture(keepRootFile ? SingleFileCapture.DERIVATION_LIMIT : -1);
            reading.read(u, capture);
            u.rootFile = capture.contents();
            u.narHashValue = u.narHash.finish();
            u.fileHashValue = u.fileHash.finish();
            return u;
        } catch (IOException | RuntimeException e) {
            u.close();
            throw e;
        }
    }

    public Hash narHash() {
        return narHashValue;
    }

    public long narSize() {
        return narHash.size();
    }

    public Hash fileHash() {
        return fileHashValue;
    }

    public long fileSize() {
        return fileHash.size();
    }

    public Optional<byte[]> rootFile() {
        return rootFile;
    }

    public void commit() throws IOException {
        if (upload != null) {
            upload.commit();
        }
    }

    /** Throws the upload away unless it was committed. */
    @Override
    public void close() throws IOException {
        if (upload != null) {
            upload.close();
        }
    }

    /** Reports every {@value #PROGRESS_STEP} bytes read, so the client's progress bar moves. */
    private static final class ProgressInputStream extends java.io.FilterInputStream {
        private final LongConsumer progress;
        private long read;
        private long reported;

        ProgressInputStream(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            read += n;
            if (read - reported >= PROGRESS_STEP) {
                reported = read;
                progress.accept(read);
            }
        }
    }
}
