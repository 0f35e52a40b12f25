package dev.cumulus.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import org.junit.jupiter.api.Test;

class HangupWatchingInputStreamTest {

    @Test
    void aByteSentWhileWatchingIsHandedToTheNextReadAndAHangupIsSeen() throws Exception {
        PipedOutputStream client = new PipedOutputStream();
        HangupWatchingInputStream in = new HangupWatchingInputStream(new PipedInputStream(client, 64));
        assertFalse(in.hungUp(), "a quiet client is still there");
        client.write(new byte[] {7, 8, 9});
        client.flush();
        for (int i = 0; i < 100 && in.available() == 0; i++) {
            Thread.sleep(10);
        }
        assertFalse(in.hungUp(), "a client that sends is still there");
        byte[] got = new byte[3];
        assertEquals(1, in.read(got, 0, 3), "the byte read while watching comes first");
        assertEquals(2, in.read(got, 1, 2));
        assertArrayEquals(new byte[] {7, 8, 9}, got);

        assertFalse(in.hungUp());
        client.close();
        boolean gone = false;
        for (int i = 0; i < 200 && !gone; i++) {
            gone = in.hungUp();
            Thread.sleep(10);
        }
        assertTrue(gone, "the end of the client's stream is a hang-up");
        assertEquals(-1, in.read());
    }
}
