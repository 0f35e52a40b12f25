package dev.cumulus.refscan;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Finds which of a set of needles (32-character nix32 hash parts) occur in a stream of bytes fed
 * in chunks of any size, matches across chunk boundaries included. Same results as Nix's
 * reference scanner.
 *
 * <p>It is fast because most bytes are never looked at: only 32 of the 256 byte values are nix32
 * digits, so it checks the last byte of each 32-byte window first and, when that byte cannot be
 * part of a hash, skips the whole window. Only a run of 32 digits is looked up in the needle
 * table. Not thread-safe: one scanner per stream.
 */
public final class RefScanner {
    public static final int NEEDLE_LENGTH = 32;
    private static final String NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
    private static final boolean[] IS_DIGIT = new boolean[256];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        for (int i = 0; i < NIX32.length(); i++) {
            IS_DIGIT[NIX32.charAt(i)] = true;
        }
    }

    private final byte[] needles;
    private final int count;
    /** Open-addressed table of needle index + 1, keyed by a hash of the needle's first 16 bytes. */
    private final int[] table;
    private final int shift;
    /**
     * Two bits per needle, both in the word its hash picks, at {@value #FILTER_BITS_PER_NEEDLE}
     * bits per needle: most hash-like runs that are not needles are turned away here without
     * touching {@link #table} and {@link #needles}, which for tens of thousands of needles are
     * out of cache. Two bits in one word cost one load and turn away far more than one bit.
     */
    private final long[] filter;
    private final int filterShift;
    /**
     * How many needles not yet found set each filter bit. A found needle leaves the filter (as
     * Nix's scanner erases it from its set), so the paths a build references over and over stop
     * reaching the table once seen.
     */
    private final int[] filterLoad;
    private final boolean[] found;
    private int foundCount;

    /** The last bytes fed, so that a match straddling two chunks is seen. */
    private final byte[] carry = new byte[NEEDLE_LENGTH - 1];
    private int carryLength;
    private final byte[] seam = new byte[2 * (NEEDLE_LENGTH - 1)];

    /** @param needleTexts nix32 hash parts; a needle's index is its position in this collection */
    public RefScanner(Collection<String> needleTexts) {
        List<byte[]> needleBytes = needleTexts.stream().map(n -> n.getBytes(StandardCharsets.ISO_8859_1)).toList();
        this.count = needleBytes.size();
        this.needles = new byte[count * NEEDLE_LENGTH];
        int capacity = Integer.highestOneBit(Math.max(16, count * 4) - 1) << 1;
        this.table = new int[capacity];
        this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
        this.found = new boolean[count];
        int filterWords = Integer.highestOneBit(Math.max(512, count * FILTER_BITS_PER_NEEDLE / 64) - 1) << 1;
        this.filter = new long[filterWords];
        this.filterLoad = new int[filterWords * 64];
        this.filterShift = 64 - Integer.numberOfTrailingZeros(filterWords);
        for (int i = 0; i < count; i++) {
            byte[] n = needleBytes.get(i);
            checkNeedle(n, i);
            System.arraycopy(n, 0, needles, i * NEEDLE_LENGTH, NEEDLE_LENGTH);
            long h = mix(needles, i * NEEDLE_LENGTH);
            addToFilter(h, 1);
            int slot = (int) (h >>> shift);
            while (table[slot] != 0) {
                if (Arrays.equals(needles, (table[slot] - 1) * NEEDLE_LENGTH, table[slot] * NEEDLE_LENGTH,
                        needles, i * NEEDLE_LENGTH, (i + 1) * NEEDLE_LENGTH)) {
                    throw new IllegalArgumentException("needle " + i + " repeats needle " + (table[slot] - 1) + ": '"
                            + new String(n, StandardCharsets.ISO_8859_1) + "'");
                }
                slot = (slot + 1) & (capacity - 1);
            }
            table[slot] = i + 1;
        }
    }

    private static void checkNeedle(byte[] n, int index) {
        if (n.length != NEEDLE_LENGTH) {
            throw new IllegalArgumentException("needle " + index + " has " + n.length + " characters; a hash part has "
                    + NEEDLE_LENGTH);
        }
        for (byte b : n) {
            if (!IS_DIGIT[b & 0xff]) {
                throw new IllegalArgumentException("needle " + index + " '" + new String(n, StandardCharsets.ISO_8859_1)
                        + "' has a character outside nix32");
            }
        }
    }

    private boolean inFilter(long h) {
        long bits = filterBits(h);
        return (filter[(int) (h >>> filterShift)] & bits) == bits;
    }

    /** Counts a needle with hash {@code h} into (+1) or out of (-1) the filter. */
    private void addToFilter(long h, int delta) {
        int word = (int) (h >>> filterShift);
        for (long bits = filterBits(h); bits != 0; bits &= bits - 1) {
            int bit = word * 64 + Long.numberOfTrailingZeros(bits);
            filterLoad[bit] += delta;
            if (filterLoad[bit] == 0) {
                filter[word] &= ~Long.lowestOneBit(bits);
            } else {
                filter[word] |= Long.lowestOneBit(bits);
            }
        }
    }

    private static long filterBits(long h) {
        return 1L << (h >>> 20) | 1L << (h >>> 26);
    }

    /** A hash of the first 16 bytes at {@code at}; its top bits pick the filter bit and the table slot. */
    private static long mix(byte[] b, int at) {
        long a = (long) LONGS.get(b, at);
        long c = (long) LONGS.get(b, at + 8);
        long h = (a * 0x9E3779B97F4A7C15L) ^ (c * 0xC2B2AE3D27D4EB4FL);
        return (h ^ (h >>> 29)) * 0x94D049BB133111EBL;
    }

    /** Scans the next {@code len} bytes of the stream. */
    public void update(byte[] buf, int off, int len) {
        if (len <= 0 || foundCount == count) {
            return;
        }
        if (carryLength > 0) {
            int head = Math.min(len, NEEDLE_LENGTH - 1);
            System.arraycopy(carry, 0, seam, 0, carryLength);
            System.arraycopy(buf, off, seam, carryLength, head);
            scan(seam, 0, carryLength + head);
        }
        scan(buf, off, off + len);
        // Keep the stream's last 31 bytes: from this chunk, topped up from the old carry if the chunk was short.
        if (len >= NEEDLE_LENGTH - 1) {
            System.arraycopy(buf, off + len - (NEEDLE_LENGTH - 1), carry, 0, NEEDLE_LENGTH - 1);
            carryLength = NEEDLE_LENGTH - 1;
        } else {
            int keep = Math.min(carryLength, NEEDLE_LENGTH - 1 - len);
            System.arraycopy(carry, carryLength - keep, carry, 0, keep);
            System.arraycopy(buf, off, carry, keep, len);
            carryLength = keep + len;
        }
    }

    public void update(byte[] buf) {
        update(buf, 0, buf.length);
    }

    /**
     * Scans windows that lie wholly in {@code buf[from, to)}.
     *
     * <p>A run of 32 digits holds three consecutive whole 8-byte words (counted from {@code from}),
     * one of which starts at a multiple of 24; being digits, none of its bytes is below '0' or
     * above 0x7f. So one long every 24 bytes is tested, with a few arithmetic steps. Around a word
     * that passes, the nearest bytes that surely are not digits bound the windows that could hold
     * a needle, and those are looked up: a needle is all digits, so a window with a non-digit can
     * never match, and Nix's exact digit check is not needed.
     */
    private void scan(byte[] buf, int from, int to) {
        int lookedUpTo = from - 1;
        for (int w = from, lastWord = to - 8; w <= lastWord; w += STRIDE) {
            if (mayBeDigits((long) LONGS.get(buf, w)) && w > lookedUpTo) {
                lookedUpTo = scanAround(buf, from, to, w, lookedUpTo);
            }
        }
    }

    /**
     * Looks up the windows that hold the word at {@code w}, start after {@code lookedUpTo} and
     * have no byte that surely is not a digit; they start in [w - 24, w]. Returns the last start
     * dealt with: past w when the run was found to end at a non-digit, since no window starting
     * at or before that byte can be all digits.
     */
    private int scanAround(byte[] buf, int from, int to, int w, int lookedUpTo) {
        if (w - 24 < from || w + NEEDLE_LENGTH > to) {
            return scanAroundAtEdge(buf, from, to, w, lookedUpTo);
        }
        // One bit per byte for the 24 bytes before the word and the 24 after it, set for sure non-digits.
        int before = byteMarks(buf, w - 24) | byteMarks(buf, w - 16) << 8 | byteMarks(buf, w - 8) << 16;
        int after = byteMarks(buf, w + 8) | byteMarks(buf, w + 16) << 8 | byteMarks(buf, w + 24) << 16;
        int runStart = w + 8 - Integer.numberOfLeadingZeros(before);
        int runEnd = w + 8 + Integer.numberOfTrailingZeros(after | 1 << 24);
        int first = Math.max(runStart, lookedUpTo + 1);
        int last = Math.min(w, runEnd - NEEDLE_LENGTH);
        // Usually there is one window (a store path's hash part) or none (a long word): probe the
        // filter for the first without a branch, so that only a likely needle or a long run
        // branches. Every branch taken one way here for a store path and the other for a word
        // would be mispredicted often, and that, not the loads, was most of a candidate's cost.
        long h = mix(buf, first);
        boolean maybe = inFilter(h);
        if ((first < last) | ((first == last) & maybe)) {
            for (int start = first; start <= last; start++) {
                lookup(buf, start);
            }
        }
        return Math.max(lookedUpTo, after != 0 ? runEnd : w);
    }

    /** Marks (bit i for byte at + i) the bytes of the word at {@code at} that surely are not digits. */
    private static int byteMarks(byte[] buf, int at) {
        return (int) (((surelyNotDigits((long) LONGS.get(buf, at)) >>> 7) * 0x0102040810204080L) >>> 56);
    }

    /** {@link #scanAround} for a word too near either end of the range to read 24 bytes each side. */
    private int scanAroundAtEdge(byte[] buf, int from, int to, int w, int lookedUpTo) {
        // First byte after the last sure non-digit before w, looking back at most 24 bytes.
        int runStart = Math.max(from, w - (NEEDLE_LENGTH - 8));
        for (int p = w - 8; p + 8 > runStart; p -= 8) {
            if (p < from) {
                // Too close to the start for a whole long: look byte by byte.
                for (int k = w - 1; k >= runStart; k--) {
                    if (!IS_DIGIT[buf[k] & 0xff]) {
                        runStart = k + 1;
                        break;
                    }
                }
                break;
            }
            long marks = surelyNotDigits((long) LONGS.get(buf, p));
            if (marks != 0) {
                runStart = Math.max(runStart, p + ((63 - Long.numberOfLeadingZeros(marks)) >>> 3) + 1);
                break;
            }
        }
        // The first sure non-digit after the word, looking ahead at most 24 bytes.
        int runEnd = Math.min(to, w + NEEDLE_LENGTH);
        boolean ended = false;
        for (int p = w + 8; p < runEnd; p += 8) {
            if (p + 8 > to) {
                for (int k = p; k < runEnd; k++) {
                    if (!IS_DIGIT[buf[k] & 0xff]) {
                        runEnd = k;
                        ended = true;
                        break;
                    }
                }
                break;
            }
            long marks = surelyNotDigits((long) LONGS.get(buf, p));
            if (marks != 0) {
                int at = p + (Long.numberOfTrailingZeros(marks) >>> 3);
                if (at < runEnd) {
                    runEnd = at;
                    ended = true;
                }
                break;
            }
        }
        int last = Math.min(w, runEnd - NEEDLE_LENGTH);
        for (int start = Math.max(runStart, lookedUpTo + 1); start <= last; start++) {
            lookup(buf, start);
        }
        return Math.max(lookedUpTo, ended ? runEnd : w);
    }

    /** Every run of 32 holds a whole word starting at a multiple of this. */
    private static final int STRIDE = 24;
    /** Measured: 4 bits per needle cost 20,000 needles a fifth of the speed, 32 gained nothing over 16. */
    private static final int FILTER_BITS_PER_NEEDLE = 16;

    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_7_BITS = 0x7f7f7f7f7f7f7f7fL;
    /** Added to each byte's low 7 bits, sets bit 7 exactly when the byte is at least '0' (0x30). */
    private static final long TO_ZERO_CHAR = 0x5050505050505050L;

    /**
     * Whether no byte of {@code x} is below '0' or above 0x7f: {@code surelyNotDigits(x) == 0} in
     * fewer steps. A byte below '0' borrows, so it sets bit 7 of its difference (bytes below it
     * do not borrow, or there would be a lower such byte); the borrow may spill into the bytes above,
     * which only matters when marking bytes, not when asking whether there is any.
     */
    private static boolean mayBeDigits(long x) {
        return ((x | (x - ZERO_CHARS)) & HIGH_BITS) == 0;
    }

    private static final long ZERO_CHARS = 0x3030303030303030L;

    /**
     * Marks (bit 7 of each byte) the bytes of {@code x} that are below '0' or above 0x7f: a subset
     * of the non-digits with no false marks, computed without carries between bytes.
     */
    private static long surelyNotDigits(long x) {
        long atLeastZeroChar = (x & LOW_7_BITS) + TO_ZERO_CHAR;
        return (x | ~atLeastZeroChar) & HIGH_BITS;
    }

    private void lookup(byte[] buf, int at) {
        long h = mix(buf, at);
        if (!inFilter(h)) {
            return;
        }
        int mask = table.length - 1;
        for (int slot = (int) (h >>> shift); ; slot = (slot + 1) & mask) {
            int entry = table[slot];
            if (entry == 0) {
                return;
            }
            int n = entry - 1;
            if (Arrays.equals(needles, n * NEEDLE_LENGTH, n * NEEDLE_LENGTH + NEEDLE_LENGTH, buf, at, at + NEEDLE_LENGTH)) {
                if (!found[n]) {
                    found[n] = true;
                    foundCount++;
                    // The window is the needle, so h is the needle's own hash.
                    addToFilter(h, -1);
                }
                return;
            }
        }
    }

    /** Indices (in the order the needles were given) of the needles seen so far, ascending. */
    public int[] foundIndices() {
        int[] out = new int[foundCount];
        for (int i = 0, k = 0; i < count; i++) {
            if (found[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** The needles seen so far, in the order they were given. */
    public List<String> foundNeedles() {
        return Arrays.stream(foundIndices())
                .mapToObj(i -> new String(needles, i * NEEDLE_LENGTH, NEEDLE_LENGTH, StandardCharsets.ISO_8859_1))
                .toList();
    }

    public boolean allFound() {
        return foundCount == count;
    }
}
