package dev.cumulus.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TailHoldingOutputStreamTest {
    @Test
    void holdsTheLastBytesUntilReleasedWhereverTheWritesSplitThem() throws IOException {
        byte[] data = new byte[100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        for (int chunk : new int[] {1, 3, 7, 8, 9, 64, data.length}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            TailHoldingOutputStream holding = new TailHoldingOutputStream(out, 8);
            for (int i = 0; i < data.length; i += chunk) {
                holding.write(data, i, Math.min(chunk, data.length - i));
                int written = Math.min(i + chunk, data.length);
                assertArrayEquals(Arrays.copyOf(data, Math.max(0, written - 8)), out.toByteArray(), "chunks of " + chunk);
            }
            holding.flush();
            assertArrayEquals(Arrays.copyOf(data, data.length - 8), out.toByteArray(), "flushed, chunks of " + chunk);
            holding.release();
            assertArrayEquals(data, out.toByteArray(), "released, chunks of " + chunk);
        }
    }

    @Test
    void aStreamShorterThanTheHoldIsAllHeld() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TailHoldingOutputStream holding = new TailHoldingOutputStream(out, 8);
        holding.write(new byte[] {1, 2, 3});
        holding.write(4);
        assertArrayEquals(new byte[0], out.toByteArray());
        holding.release();
        assertArrayEquals(new byte[] {1, 2, 3, 4}, out.toByteArray());
    }
}
