package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpOptionsTest {
    private static boolean parse(TcpOptions o, int... bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes.length + 4);
        for (int i = 0; i < bytes.length; i++) {
            b.put(2 + i, (byte) bytes[i]);
        }
        return o.parse(b, 2, bytes.length);
    }

    @Test
    void emitThenParseRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(40);
        int o = 0;
        o += TcpOptions.writeMss(b, o, 1460);
        o += TcpOptions.writeSackPermTimestamp(b, o, 0x01020304, 0x0a0b0c0d);
        o += TcpOptions.writeNopWscale(b, o, 7);
        TcpOptions p = new TcpOptions();
        assertTrue(p.parse(b, 0, o));
        assertTrue(p.hasMss && p.sackPermitted && p.hasTimestamp && p.hasWscale);
        assertEquals(1460, p.mss);
        assertEquals(0x01020304, p.tsVal);
        assertEquals(0x0a0b0c0d, p.tsEcr);
        assertEquals(7, p.wscale);
        o = TcpOptions.writeSack(b, 0, new int[] {10, 30}, new int[] {20, 40}, 2);
        assertTrue(p.parse(b, 0, o));
        assertEquals(2, p.sackCount);
        assertEquals(30, p.sackLeft[1]);
        assertEquals(40, p.sackRight[1]);
    }

    @Test
    void malformedLengthsAreRejectedSafely() {
        TcpOptions o = new TcpOptions();
        assertFalse(parse(o, 2, 0, 0, 0)); // length 0
        assertFalse(parse(o, 2, 1, 0, 0)); // length 1
        assertFalse(parse(o, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0)); // runs past the end
        assertFalse(parse(o, 1, 1, 3)); // kind without a length byte
        assertFalse(parse(o, 99, 200, 1, 1)); // unknown, too long
    }

    @Test
    void unknownOptionsAreSkippedAndWrongKnownLengthsIgnored() {
        TcpOptions o = new TcpOptions();
        assertTrue(parse(o, 30, 4, 9, 9, 2, 4, 5, 0xb4));
        assertTrue(o.hasMss);
        assertEquals(1460, o.mss);
        assertTrue(parse(o, 2, 3, 1, 1)); // MSS with length 3: ignored, counted
        assertFalse(o.hasMss);
        assertTrue(o.badKnownLength);
        assertTrue(parse(o, 3, 3, 20, 0)); // window scale above 14 is clamped (RFC 7323 §2.3)
        assertEquals(14, o.wscale);
        assertTrue(parse(o, 0, 2, 0, 0)); // END stops parsing
        assertFalse(o.hasMss);
        assertTrue(parse(o, 5, 6, 0, 0, 0, 0)); // SACK whose length is not 2+8n
        assertEquals(0, o.sackCount);
    }

    @Test
    void randomOptionBytesNeverThrow() {
        SplittableRandom r = new SplittableRandom(7);
        TcpOptions o = new TcpOptions();
        ByteBuffer b = ByteBuffer.allocate(40);
        for (int i = 0; i < 200_000; i++) {
            int n = r.nextInt(41);
            for (int k = 0; k < n; k++) {
                b.put(k, (byte) (r.nextInt(4) == 0 ? r.nextInt(9) : r.nextInt(256)));
            }
            o.parse(b, 0, n);
        }
    }

    @Test
    void seqNumWrapsAround() {
        assertTrue(SeqNum.lt(0xfffffff0, 0x10));
        assertTrue(SeqNum.gt(0x10, 0xfffffff0));
        assertTrue(SeqNum.inRange(0x5, 0xfffffff0, 0x10));
        assertFalse(SeqNum.inRange(0x10, 0xfffffff0, 0x10));
        assertEquals(0x20, SeqNum.diff(0x10, 0xfffffff0));
    }
}
