package dev.cumulus.refscan.bench;

import dev.cumulus.refscan.RefScanner;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Reference scanning throughput on 256 MiB of mixed data (binary, text and store paths, with
 * needles planted), with SHA-256 over the same bytes in the same run for scale. Run it with
 * {@code refscan/bench}; {@link #main} prints GiB/s and the ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class RefScanBenchmark {
    static final int SIZE = 256 << 20;
    static final int CHUNK = 64 << 10;
    static final String NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
    static final String[] WORDS = {"the", "store", "path", "of", "a", "derivation", "is", "built", "from", "its",
        "inputs", "and", "hashed", "with", "sha256", "lib", "include", "share", "bin", "main", "return", "int",
        "static", "void", "if", "else", "while", "for", "function", "0x7f", "export", "PATH", "="};

    @Param({"1000", "20000"})
    public int needles;

    byte[] data;
    List<String> needleList;

    static String hashPart(SplittableRandom r) {
        StringBuilder sb = new StringBuilder(32);
        for (int i = 0; i < 32; i++) {
            sb.append(NIX32.charAt(r.nextInt(32)));
        }
        return sb.toString();
    }

    @Setup(Level.Trial)
    public void setup() {
        SplittableRandom r = new SplittableRandom(2026);
        needleList = new ArrayList<>(needles);
        for (int i = 0; i < needles; i++) {
            needleList.add(hashPart(r));
        }
        data = mixedData(r, needleList);
    }

    /**
     * Alternating 64 KiB blocks. Binary: random bytes with a store path about every 16 KiB, as in
     * an ELF file's RPATHs and strings. Text: words with a store path in one token of 100, as in
     * scripts and pkg-config files. One store path in four is a needle, drawn from the first tenth
     * of the needles only, so that the scan never finds them all and never stops early.
     */
    static byte[] mixedData(SplittableRandom r, List<String> needles) {
        byte[] out = new byte[SIZE];
        int planted = Math.max(1, needles.size() / 10);
        int pos = 0;
        boolean binary = true;
        while (pos < SIZE) {
            int end = Math.min(SIZE, pos + CHUNK);
            if (binary) {
                for (int i = pos; i < end; i++) {
                    out[i] = (byte) r.nextInt(256);
                }
                for (int k = 0; k < CHUNK / (16 << 10); k++) {
                    byte[] p = storePath(r, needles, planted).getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(p, 0, out, pos + r.nextInt(CHUNK - p.length), p.length);
                }
            } else {
                StringBuilder sb = new StringBuilder(CHUNK + 128);
                while (sb.length() < end - pos) {
                    int k = r.nextInt(100);
                    if (k == 0) {
                        sb.append(storePath(r, needles, planted)).append(' ');
                    } else {
                        sb.append(WORDS[r.nextInt(WORDS.length)]).append(k % 10 == 0 ? '\n' : ' ');
                    }
                }
                byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(text, 0, out, pos, end - pos);
            }
            binary = !binary;
            pos = end;
        }
        return out;
    }

    static String storePath(SplittableRandom r, List<String> needles, int planted) {
        String hash = r.nextInt(4) == 0 ? needles.get(r.nextInt(planted)) : hashPart(r);
        return "/nix/store/" + hash + "-glibc-2.40/lib";
    }

    @Benchmark
    public int refscan() {
        RefScanner sc = new RefScanner(needleList);
        for (int pos = 0; pos < SIZE; pos += CHUNK) {
            sc.update(data, pos, CHUNK);
        }
        return sc.foundIndices().length;
    }

    @Benchmark
    public byte[] sha256() throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int pos = 0; pos < SIZE; pos += CHUNK) {
            md.update(data, pos, CHUNK);
        }
        return md.digest();
    }

    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(RefScanBenchmark.class.getName()).build()).run();
        double gib = SIZE / (double) (1L << 30);
        System.out.println();
        System.out.println("256 MiB of mixed data, one thread:");
        for (String n : new String[] {"1000", "20000"}) {
            double scan = 0;
            double sha = 0;
            for (RunResult rr : results) {
                if (!rr.getParams().getParam("needles").equals(n)) {
                    continue;
                }
                double ms = rr.getPrimaryResult().getScore();
                if (rr.getParams().getBenchmark().endsWith("refscan")) {
                    scan = gib / (ms / 1000);
                } else {
                    sha = gib / (ms / 1000);
                }
            }
            System.out.printf(Locale.ROOT, "  %5s needles: refscan %.2f GiB/s, SHA-256 %.2f GiB/s, ratio %.1fx%n",
                    n, scan, sha, scan / sha);
        }
    }
}
