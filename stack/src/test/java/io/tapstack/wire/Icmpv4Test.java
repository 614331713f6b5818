package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.tapstack.Frames.golden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 792 message layout. */
class Icmpv4Test {
    private final Icmpv4 icmp = new Icmpv4();

    private Icmpv4 view(byte[] f) {
        int l3 = 14;
        int hl = (f[l3] & 0x0f) * 4;
        int total = ((f[l3 + 2] & 0xff) << 8) | (f[l3 + 3] & 0xff);
        return icmp.wrap(ByteBuffer.wrap(f), l3 + hl, total - hl);
    }

    @Test
    void goldenEchoRequestAndReplyFromLinuxPing() {
        Icmpv4 q = view(golden("icmp-echo-request-56"));
        assertEquals(Icmpv4.Error.NONE, q.check(true));
        assertEquals(Icmpv4.ECHO_REQUEST, q.type());
        assertEquals(0, q.code());
        assertEquals(0x25e1, q.id());
        assertEquals(1, q.seq());
        assertEquals(64, q.length());
        assertEquals(56, q.dataLength());
        assertEquals(34 + 8, q.dataOffset());
        Icmpv4 r = view(golden("icmp-echo-reply-56"));
        assertEquals(Icmpv4.Error.NONE, r.check(true));
        assertEquals(Icmpv4.ECHO_REPLY, r.type());
        assertEquals(0x25e1, r.id());
        assertEquals(1, r.seq());
    }

    @Test
    void goldenEchoWithNoData() {
        Icmpv4 q = view(golden("icmp-echo-request-0"));
        assertEquals(Icmpv4.Error.NONE, q.check(true));
        assertEquals(0, q.dataLength());
        assertEquals(0x25e3, q.id());
    }

    @Test
    void emitReproducesLinuxEchoReplyIncludingChecksum() {
        byte[] req = golden("icmp-echo-request-56");
        byte[] rep = golden("icmp-echo-reply-56");
        byte[] mine = new byte[64];
        ByteBuffer b = ByteBuffer.wrap(mine);
        Icmpv4.emitHeader(b, 0, Icmpv4.ECHO_REPLY, 0, (0x25e1 << 16) | 1);
        System.arraycopy(req, 42, mine, 8, 56);
        Icmpv4.fillChecksum(b, 0, 64);
        assertArrayEquals(Arrays.copyOfRange(rep, 34, 98), mine);
    }

    @Test
    void checkErrorPaths() {
        ByteBuffer b = ByteBuffer.allocate(16);
        for (int len = 0; len < 8; len++) {
            assertEquals(Icmpv4.Error.TRUNCATED, icmp.wrap(b, 0, len).check(false), "len " + len);
        }
        Icmpv4.emitHeader(b, 0, Icmpv4.ECHO_REQUEST, 0, 0x00010002);
        Icmpv4.fillChecksum(b, 0, 16);
        assertEquals(Icmpv4.Error.NONE, icmp.wrap(b, 0, 16).check(true));
        b.put(15, (byte) 1);
        assertEquals(Icmpv4.Error.BAD_CHECKSUM, icmp.wrap(b, 0, 16).check(true));
        assertEquals(Icmpv4.Error.NONE, icmp.wrap(b, 0, 16).check(false));
    }

    @Test
    void errorTypes_rfc1122s3222() {
        for (int t : new int[] {3, 4, 5, 11, 12}) {
            assertTrue(Icmpv4.isError(t), "type " + t);
        }
        for (int t : new int[] {0, 8, 9, 10, 13, 14, 17, 18}) {
            assertFalse(Icmpv4.isError(t), "type " + t);
        }
    }
}
