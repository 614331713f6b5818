package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Software GSO splits like a NIC's TSO; software GRO puts the pieces back together. */
class GsoGroTest {
    static final int SRC = 0x0a000001;
    static final int DST = 0x0a000002;
    static final long MAC = 0x020000000002L;
    final PacketPool pool = new PacketPool(256, 2048, 16);

    /** A TCP/IPv4 packet (window: IP header) with 12 bytes of options and a partial checksum. */
    PacketBuf tcpPacket(byte[] payload, int seq, int flags, int mss) {
        PacketBuf p = pool.allocate(60000);
        int tcpHl = 32;
        int at = p.append(20 + tcpHl + payload.length);
        ByteBuffer b = p.buf();
        Ipv4Header.emit(b, at, 0, 20 + tcpHl + payload.length, 0x100, Ipv4Header.FLAG_DF, 64, 6, SRC, DST);
        tcpGsoPacket(p, at, 20, Checksum.pseudoV4(SRC, DST, 6, tcpHl + payload.length), payload, seq, flags, mss,
                VnetHeader.GSO_TCPV4);
        return p;
    }

    /**
     * Writes the TCP header (40000 → 80, ACK 0x11223344, window 1000, NOP NOP timestamps) and
     * payload after an IP header of {@code l3Len} bytes at {@code l3}, with a partial checksum
     * from {@code pseudo}, and marks {@code p} as a GSO packet of {@code gsoType}.
     */
    static void tcpGsoPacket(PacketBuf p, int l3, int l3Len, long pseudo, byte[] payload, int seq, int flags, int mss,
                             int gsoType) {
        ByteBuffer b = p.buf();
        int tcpHl = 32;
        int l4 = l3 + l3Len;
        b.putShort(l4, (short) 40000);
        b.putShort(l4 + 2, (short) 80);
        b.putInt(l4 + 4, seq);
        b.putInt(l4 + 8, 0x11223344);
        b.put(l4 + 12, (byte) ((tcpHl / 4) << 4));
        b.put(l4 + 13, (byte) flags);
        b.putShort(l4 + 14, (short) 1000);
        b.putShort(l4 + 18, (short) 0);
        // NOP NOP TS(10)
        b.put(l4 + 20, (byte) 1);
        b.put(l4 + 21, (byte) 1);
        b.put(l4 + 22, (byte) 8);
        b.put(l4 + 23, (byte) 10);
        b.putInt(l4 + 24, 12345);
        b.putInt(l4 + 28, 678);
        b.put(l4 + tcpHl, payload);
        b.putShort(l4 + 16, (short) Checksum.fold(pseudo));
        p.l3 = l3;
        p.l4 = l4;
        p.csumState = PacketBuf.CSUM_PARTIAL;
        p.csumStart = l4;
        p.csumOffset = 16;
        p.gsoType = gsoType;
        p.gsoSize = mss;
    }

    static byte[] payload(int n, long seed) {
        byte[] d = new byte[n];
        new Random(seed).nextBytes(d);
        return d;
    }

    @Test
    void segmentsLikeTso() {
        byte[] data = payload(10_000, 1);
        List<PacketBuf> segs = new ArrayList<>();
        int n = Gso.segment(tcpPacket(data, 1000, 0x18 | 0x01 | 0x80, 1448), pool, segs::add);
        assertEquals(7, n);
        ByteBuffer all = ByteBuffer.allocate(data.length);
        for (int i = 0; i < segs.size(); i++) {
            PacketBuf s = segs.get(i);
            ByteBuffer b = s.buf();
            int l3 = s.start();
            Ipv4Header h = new Ipv4Header().wrap(b, l3, s.length());
            assertEquals(Ipv4Header.Error.NONE, h.check(true), "IP header checksum of segment " + i);
            assertEquals(s.length(), h.totalLength());
            assertEquals(0x100 + i, h.ident(), "IP IDs increment per segment");
            int l4 = l3 + 20;
            int plen = s.length() - 52;
            assertEquals(i < 6 ? 1448 : 10_000 - 6 * 1448, plen);
            assertEquals(1000 + i * 1448, b.getInt(l4 + 4), "sequence number");
            int flags = b.get(l4 + 13) & 0xff;
            assertEquals(i == 6, (flags & 0x01) != 0, "FIN only on the last");
            assertEquals(i == 6, (flags & 0x08) != 0, "PSH only on the last");
            assertEquals(i == 0, (flags & 0x80) != 0, "CWR only on the first");
            Gso.finishChecksum(s);
            long pseudo = Checksum.pseudoV4(SRC, DST, 6, s.length() - 20);
            assertEquals(0, Checksum.finish(Checksum.add(pseudo, b, l4, s.length() - 20)), "TCP checksum of segment " + i);
            byte[] chunk = new byte[plen];
            b.get(l4 + 32, chunk);
            all.put(chunk);
        }
        assertArrayEquals(data, all.array());
        segs.forEach(PacketBuf::release);
        assertEquals(pool.totalSmall(), pool.availableSmall(), "no buffer leaked");
        assertEquals(pool.totalLarge(), pool.availableLarge(), "no buffer leaked");
    }

    /** Segments as received Ethernet frames with full checksums, as a peer without TSO sends them. */
    List<PacketBuf> frames(byte[] data, int seq, int lastFlags, int mss) {
        return segmentsAsFrames(pool, tcpPacket(data, seq, lastFlags, mss), EthernetFrame.TYPE_IPV4);
    }

    /** {@code big} cut by software GSO into frames to {@link #MAC} with full checksums. */
    static List<PacketBuf> segmentsAsFrames(PacketPool pool, PacketBuf big, int etherType) {
        List<PacketBuf> out = new ArrayList<>();
        Gso.segment(big, pool, s -> {
            Gso.finishChecksum(s);
            int e = s.push(14);
            EthernetFrame.emit(s.buf(), e, MAC, 0x020000000001L, etherType);
            s.csumState = PacketBuf.CSUM_NONE;
            out.add(s);
        });
        return out;
    }

    @Test
    void groMergesInOrderSegmentsOfOneFlow() {
        byte[] data = payload(20 * 1448, 2);
        List<PacketBuf> delivered = new ArrayList<>();
        Gro gro = new Gro(pool, delivered::add);
        List<PacketBuf> in = frames(data, 5000, 0x18, 1448);
        for (PacketBuf f : in) {
            assertTrue(gro.offer(f, MAC));
        }
        // the last carried PSH: the flow was flushed already
        assertEquals(1, delivered.size());
        gro.flush();
        PacketBuf m = delivered.get(0);
        ByteBuffer b = m.buf();
        int l3 = m.start() + 14;
        Ipv4Header h = new Ipv4Header().wrap(b, l3, m.length() - 14);
        assertEquals(Ipv4Header.Error.NONE, h.check(true));
        assertEquals(20 + 32 + data.length, h.totalLength());
        assertEquals(5000, b.getInt(l3 + 20 + 4));
        assertEquals(0x18, b.get(l3 + 20 + 13) & 0xff, "PSH of the last segment kept");
        byte[] got = new byte[data.length];
        b.get(l3 + 52, got);
        assertArrayEquals(data, got);
        assertEquals(PacketBuf.CSUM_VALID, m.csumState);
        assertEquals(19, gro.merged());
        m.release();
    }

    @Test
    void groKeepsOrderAndDoesNotMergeAcrossGapsOrBadChecksums() {
        byte[] data = payload(6 * 1000, 3);
        // [0..2] merged, then 4000 (out of order) and 3000 separately, then the bad one
        assertEquals(List.of(0, 4000, 3000, 5000), offerWithAGapAndABadChecksum(pool, frames(data, 0, 0x10, 1000), 20));
    }

    /**
     * Offers six 1000-byte segments with the 4th and 5th swapped (a gap) and a bad TCP checksum on
     * the last; returns the sequence numbers of what was handed on, in order, after checking that
     * the bad one was left to TCP and that no buffer leaked. {@code l3Len}: 20 (IPv4) or 40 (IPv6).
     */
    static List<Integer> offerWithAGapAndABadChecksum(PacketPool pool, List<PacketBuf> in, int l3Len) {
        PacketBuf t = in.get(3);
        in.set(3, in.get(4));
        in.set(4, t);
        PacketBuf last = in.get(5);
        int csumAt = last.start() + 14 + l3Len + 16;
        last.buf().putShort(csumAt, (short) (last.buf().getShort(csumAt) ^ 0x0101));
        List<PacketBuf> delivered = new ArrayList<>();
        Gro gro = new Gro(pool, delivered::add);
        List<Boolean> taken = new ArrayList<>();
        for (PacketBuf f : in) {
            boolean took = gro.offer(f, MAC);
            taken.add(took);
            if (!took) {
                delivered.add(f);
            }
        }
        gro.flush();
        assertFalse(taken.get(5), "a segment with a bad checksum is left to TCP");
        List<Integer> seqs = new ArrayList<>();
        for (PacketBuf d : delivered) {
            seqs.add(d.buf().getInt(d.start() + 14 + l3Len + 4));
        }
        delivered.forEach(PacketBuf::release);
        assertEquals(pool.totalSmall(), pool.availableSmall(), "no buffer leaked");
        assertEquals(pool.totalLarge(), pool.availableLarge(), "no buffer leaked");
        return seqs;
    }
}
