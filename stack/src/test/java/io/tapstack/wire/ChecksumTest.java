package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.tapstack.Frames.golden;
import static io.tapstack.Frames.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 1071 Internet checksum. */
class ChecksumTest {
    /** The obvious 16-bit-at-a-time one's-complement sum, folded (RFC 1071 §4.1). */
    private static int reference(byte[] b, int off, int len) {
        long s = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            s += (b[off + len - 1] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    @Test
    void rfc1071s3NumericalExample() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum 220d)
        byte[] b = hex("0001 f203 f4f5 f6f7");
        assertEquals(0xddf2, Checksum.fold(Checksum.add(0, ByteBuffer.wrap(b), 0, 8)));
        assertEquals(0x220d, Checksum.compute(ByteBuffer.wrap(b), 0, 8));
    }

    @Test
    void knownIpv4HeaderChecksum() {
        // the classic example: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7
        byte[] h = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
        assertEquals(0xb861, Checksum.compute(ByteBuffer.wrap(h), 0, 20));
        h[10] = (byte) 0xb8;
        h[11] = 0x61;
        assertEquals(0, Checksum.compute(ByteBuffer.wrap(h), 0, 20), "verifying a valid header gives 0");
    }

    @Test
    void linuxFramesVerify() {
        for (String g : new String[] {"icmp-echo-request-56", "icmp-echo-reply-56", "icmp-echo-request-record-route",
                "icmp-echo-request-2000-frag0", "icmp-echo-request-2000-frag1"}) {
            byte[] f = golden(g);
            int hl = (f[14] & 0xf) * 4;
            assertEquals(0, Checksum.compute(ByteBuffer.wrap(f), 14, hl), g);
        }
        byte[] f = golden("icmp-echo-request-56");
        assertEquals(0, Checksum.compute(ByteBuffer.wrap(f), 34, 64), "ICMP message checksum");
    }

    @Test
    void oddLengthsPadWithAZeroByte() {
        byte[] b = hex("ab");
        assertEquals(0xab00, Checksum.fold(Checksum.add(0, ByteBuffer.wrap(b), 0, 1)));
        byte[] c = hex("0102 03");
        assertEquals(0x0102 + 0x0300, Checksum.fold(Checksum.add(0, ByteBuffer.wrap(c), 0, 3)));
        assertEquals(0xffff, Checksum.compute(ByteBuffer.allocate(0), 0, 0), "empty sums to 0");
    }

    @Test
    void matchesTheReferenceForEveryLengthAndAlignment() {
        SplittableRandom r = new SplittableRandom(1071);
        byte[] b = new byte[300];
        for (int iter = 0; iter < 20; iter++) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) r.nextInt(256);
            }
            for (int off = 0; off < 9; off++) {
                for (int len = 0; len <= 256; len++) {
                    int mine = Checksum.fold(Checksum.add(0, ByteBuffer.wrap(b), off, len));
                    int ref = reference(b, off, len);
                    // 0 and 0xffff are the same number in one's complement; the fold keeps the form it got
                    if (!(mine == ref || (mine == 0 && ref == 0xffff) || (mine == 0xffff && ref == 0))) {
                        assertEquals(ref, mine, "off " + off + " len " + len);
                    }
                }
            }
        }
    }

    @Test
    void noOverflowOnTheLargestDatagram() {
        byte[] b = new byte[65535];
        Arrays.fill(b, (byte) 0xff);
        assertEquals(reference(b, 0, b.length), Checksum.fold(Checksum.add(0, ByteBuffer.wrap(b), 0, b.length)));
        // 32767 words of ffff (negative zero) and a padded ff00: the sum is ff00, the checksum 00ff
        assertEquals(0x00ff, Checksum.compute(ByteBuffer.wrap(b), 0, b.length));
    }

    @Test
    void incrementalSumsEqualOneSumOverTheWhole() {
        byte[] b = io.tapstack.Frames.pattern(1000, 3);
        long s = Checksum.add(0, ByteBuffer.wrap(b), 0, 400);
        s = Checksum.add(s, ByteBuffer.wrap(b), 400, 600);
        assertEquals(Checksum.compute(ByteBuffer.wrap(b), 0, 1000), Checksum.finish(s));
        assertEquals(0x1234, Checksum.fold(Checksum.add16(0, 0xffff_1234)));
        assertEquals(0x1234 + 0x5678, Checksum.fold(Checksum.add32(0, 0x12345678)));
    }

    /**
     * A real UDP/IPv4 datagram whose checksum Linux offloaded: the field holds the folded
     * pseudo-header sum (what a virtio NEEDS_CSUM packet carries), and tcpdump computed the
     * finished checksum 0xecf0 (RFC 768).
     */
    @Test
    void pseudoHeaderV4_rfc768_matchesLinuxPartialAndTcpdumpFinalChecksum() {
        byte[] f = golden("udp4-17");
        ByteBuffer b = ByteBuffer.wrap(f);
        int src = b.getInt(14 + 12);
        int dst = b.getInt(14 + 16);
        int udpLen = b.getShort(34 + 4) & 0xffff;
        assertEquals(25, udpLen);
        long s = Checksum.pseudoV4(src, dst, Ipv4Header.PROTO_UDP, udpLen);
        assertEquals(0x143f, Checksum.fold(s), "Linux's partial checksum is the folded pseudo-header sum");
        // finishing it as a device would: sum the UDP header and data with the partial value in place
        assertEquals(0xecf0, Checksum.compute(b, 34, udpLen));
        // and from scratch: field zeroed, pseudo-header added
        b.putShort(34 + 6, (short) 0);
        assertEquals(0xecf0, Checksum.finish(Checksum.add(s, b, 34, udpLen)));
        b.putShort(34 + 6, (short) 0xecf0);
        assertEquals(0, Checksum.finish(Checksum.add(s, b, 34, udpLen)), "a finished checksum verifies to 0");
    }

    @Test
    void pseudoHeaderV4EqualsSummingTheExplicit12Bytes() {
        SplittableRandom r = new SplittableRandom(768);
        for (int i = 0; i < 1000; i++) {
            int src = r.nextInt();
            int dst = r.nextInt();
            int proto = r.nextInt(256);
            int len = r.nextInt(65536);
            ByteBuffer ph = ByteBuffer.allocate(12).putInt(src).putInt(dst).put((byte) 0).put((byte) proto).putShort((short) len);
            assertEquals(Checksum.fold(Checksum.add(0, ph, 0, 12)), Checksum.fold(Checksum.pseudoV4(src, dst, proto, len)));
        }
    }

    /** As for IPv4, over IPv6 (RFC 8200 §8.1); tcpdump computed the finished checksum 0xe1f2. */
    @Test
    void pseudoHeaderV6_rfc8200s81_matchesLinuxPartialAndTcpdumpFinalChecksum() {
        byte[] f = golden("udp6-17");
        ByteBuffer b = ByteBuffer.wrap(f);
        long sh = b.getLong(14 + 8);
        long sl = b.getLong(14 + 16);
        long dh = b.getLong(14 + 24);
        long dl = b.getLong(14 + 32);
        assertEquals(0xfd00000900000000L, sh);
        assertEquals(2L, dl);
        int udpLen = b.getShort(54 + 4) & 0xffff;
        long s = Checksum.pseudoV6(sh, sl, dh, dl, Ipv4Header.PROTO_UDP, udpLen);
        assertEquals(0xfa40, Checksum.fold(s));
        assertEquals(0xe1f2, Checksum.compute(b, 54, udpLen));
        b.putShort(54 + 6, (short) 0xe1f2);
        assertEquals(0, Checksum.finish(Checksum.add(s, b, 54, udpLen)));
    }

    @Test
    void pseudoHeaderV6EqualsSummingTheExplicit40Bytes() {
        SplittableRandom r = new SplittableRandom(8200);
        for (int i = 0; i < 1000; i++) {
            long sh = r.nextLong(), sl = r.nextLong(), dh = r.nextLong(), dl = r.nextLong();
            int nh = r.nextInt(256);
            int len = r.nextInt() & 0x7fffffff; // jumbograms carry 32-bit lengths
            ByteBuffer ph = ByteBuffer.allocate(40).putLong(sh).putLong(sl).putLong(dh).putLong(dl).putInt(len)
                    .put((byte) 0).put((byte) 0).put((byte) 0).put((byte) nh);
            assertEquals(Checksum.fold(Checksum.add(0, ph, 0, 40)), Checksum.fold(Checksum.pseudoV6(sh, sl, dh, dl, nh, len)));
        }
    }
}
