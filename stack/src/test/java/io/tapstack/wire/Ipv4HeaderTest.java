package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.tapstack.Frames.golden;
import static io.tapstack.Frames.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 791 §3.1 header layout; RFC 1122 §3.2.1.1–2 validation. */
class Ipv4HeaderTest {
    private static final int IP_A = 0x0a090001;
    private static final int IP_B = 0x0a090002;
    private final Ipv4Header ip = new Ipv4Header();

    private Ipv4Header view(byte[] f) {
        return ip.wrap(ByteBuffer.wrap(f), 14, f.length - 14);
    }

    @Test
    void goldenEchoRequestHeaderFromLinux() {
        Ipv4Header h = view(golden("icmp-echo-request-56"));
        assertEquals(Ipv4Header.Error.NONE, h.check(true));
        assertEquals(14, h.offset());
        assertEquals(20, h.headerLength());
        assertEquals(0, h.tos());
        assertEquals(84, h.totalLength());
        assertEquals(0xa922, h.ident());
        assertTrue(h.dontFragment());
        assertFalse(h.moreFragments());
        assertEquals(0, h.fragmentOffset());
        assertFalse(h.isFragment());
        assertEquals(64, h.ttl());
        assertEquals(Ipv4Header.PROTO_ICMP, h.protocol());
        assertEquals(0x7d72, h.checksum());
        assertEquals(IP_A, h.src());
        assertEquals(IP_B, h.dst());
        assertEquals(34, h.payloadOffset());
        assertEquals(64, h.payloadLength());
    }

    @Test
    void emitReproducesLinuxHeaderIncludingChecksum() {
        byte[] f = golden("icmp-echo-request-56");
        byte[] mine = new byte[20];
        Ipv4Header.emit(ByteBuffer.wrap(mine), 0, 0, 84, 0xa922, Ipv4Header.FLAG_DF, 64, Ipv4Header.PROTO_ICMP, IP_A, IP_B);
        assertArrayEquals(Arrays.copyOfRange(f, 14, 34), mine);
        // and the reply, which Linux sends without DF
        byte[] r = golden("icmp-echo-reply-56");
        Ipv4Header.emit(ByteBuffer.wrap(mine), 0, 0, 84, 0xc772, 0, 64, Ipv4Header.PROTO_ICMP, IP_B, IP_A);
        assertArrayEquals(Arrays.copyOfRange(r, 14, 34), mine);
    }

    @Test
    void goldenHeaderWithRecordRouteOption_rfc791() {
        // ping -R: IHL 15 (60 bytes), a NOP then Record Route (type 7, length 39, pointer 8)
        byte[] f = golden("icmp-echo-request-record-route");
        Ipv4Header h = view(f);
        assertEquals(Ipv4Header.Error.NONE, h.check(true));
        assertEquals(60, h.headerLength());
        assertEquals(76, h.totalLength());
        assertEquals(16, h.payloadLength());
        assertEquals(14 + 60, h.payloadOffset());
        assertEquals(1, f[14 + 20]); // NOP
        assertEquals(7, f[14 + 21]); // RR
        assertEquals(39, f[14 + 22]);
        assertEquals(8, f[14 + 23]);
        assertEquals(Icmpv4.ECHO_REQUEST, f[h.payloadOffset()]);
        // a corrupted option byte is caught by the header checksum, which covers options
        f[14 + 30] ^= 1;
        assertEquals(Ipv4Header.Error.BAD_CHECKSUM, view(f).check(true));
    }

    @Test
    void goldenFragmentsFromLinux_rfc791s32() {
        Ipv4Header h = view(golden("icmp-echo-request-2000-frag0"));
        assertEquals(Ipv4Header.Error.NONE, h.check(true));
        assertTrue(h.moreFragments());
        assertFalse(h.dontFragment());
        assertEquals(0, h.fragmentOffset());
        assertTrue(h.isFragment());
        assertEquals(1500, h.totalLength());
        Ipv4Header t = view(golden("icmp-echo-request-2000-frag1"));
        assertEquals(Ipv4Header.Error.NONE, t.check(true));
        assertFalse(t.moreFragments());
        assertEquals(1480, t.fragmentOffset());
        assertTrue(t.isFragment());
        assertEquals(548, t.totalLength());
        assertEquals(0xa925, t.ident());
    }

    @Test
    void emitThenParseRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(64);
        Ipv4Header.emit(b, 3, 0xb8, 40, 0xbeef, Ipv4Header.FLAG_MF | 100, 1, Ipv4Header.PROTO_UDP, 0xc0000201, 0xe0000001);
        ip.wrap(b, 3, 40);
        assertEquals(Ipv4Header.Error.NONE, ip.check(true));
        assertEquals(0xb8, ip.tos());
        assertEquals(40, ip.totalLength());
        assertEquals(0xbeef, ip.ident());
        assertTrue(ip.moreFragments());
        assertEquals(800, ip.fragmentOffset());
        assertEquals(1, ip.ttl());
        assertEquals(Ipv4Header.PROTO_UDP, ip.protocol());
        assertEquals(0xc0000201, ip.src());
        assertEquals(0xe0000001, ip.dst());
        assertEquals(0, Checksum.compute(b, 3, 20));
    }

    @Test
    void ethernetPaddingBeyondTotalLengthIsAccepted() {
        byte[] f = Arrays.copyOf(golden("icmp-echo-request-0"), 60);
        Ipv4Header h = view(f);
        assertEquals(Ipv4Header.Error.NONE, h.check(true));
        assertEquals(28, h.totalLength());
        assertEquals(8, h.payloadLength());
    }

    private static byte[] header(String hex, boolean fixChecksum) {
        byte[] b = hex(hex);
        if (fixChecksum) {
            io.tapstack.Frames.fixIpChecksum(b, 0);
        }
        return b;
    }

    private Ipv4Header.Error check(byte[] b, int len) {
        return ip.wrap(ByteBuffer.wrap(b), 0, len).check(true);
    }

    @Test
    void everyCheckErrorPath() {
        byte[] good = header("4500 0014 0000 0000 4001 0000 0a000001 0a000002", true);
        assertEquals(Ipv4Header.Error.NONE, check(good, 20));
        for (int len = 0; len < 20; len++) {
            assertEquals(Ipv4Header.Error.TRUNCATED, check(good, len), "len " + len);
        }
        assertEquals(Ipv4Header.Error.BAD_VERSION, check(header("6500 0014 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        assertEquals(Ipv4Header.Error.BAD_VERSION, check(header("0500 0014 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        for (int ihl = 0; ihl < 5; ihl++) {
            byte[] b = header("4500 0014 0000 0000 4001 0000 0a000001 0a000002", false);
            b[0] = (byte) (0x40 | ihl);
            assertEquals(Ipv4Header.Error.BAD_IHL, check(b, 20), "ihl " + ihl);
        }
        // IHL 6 (24 bytes) but only 20 arrived
        assertEquals(Ipv4Header.Error.TRUNCATED, check(header("4600 0018 0000 0000 4001 0000 0a000001 0a000002", false), 20));
        // total length shorter than the header
        assertEquals(Ipv4Header.Error.BAD_TOTAL_LENGTH, check(header("4500 0013 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        assertEquals(Ipv4Header.Error.BAD_TOTAL_LENGTH, check(header("4500 0000 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        // total length longer than what arrived
        assertEquals(Ipv4Header.Error.BAD_TOTAL_LENGTH, check(header("4500 0015 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        assertEquals(Ipv4Header.Error.BAD_TOTAL_LENGTH, check(header("4500 ffff 0000 0000 4001 0000 0a000001 0a000002", true), 20));
        // checksum
        byte[] bad = good.clone();
        bad[11] ^= 0x01;
        assertEquals(Ipv4Header.Error.BAD_CHECKSUM, check(bad, 20));
        assertEquals(Ipv4Header.Error.NONE, ip.wrap(ByteBuffer.wrap(bad), 0, 20).check(false), "a device may vouch for the checksum");
    }
}
