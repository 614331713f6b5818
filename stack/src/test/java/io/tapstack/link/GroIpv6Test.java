package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv6Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Software GRO for TCP over IPv6 (RFC 8200 §3), mirroring {@link GsoGroTest}'s IPv4 cases: in-order
 * segments of one flow with the same traffic class, flow label and hop limit and no extension
 * header merge into one packet whose payload length fits 16 bits; anything else flushes first.
 */
class GroIpv6Test {
    static final long SRC_HI = 0x2001_0db8_0000_0000L;
    static final long SRC_LO = 1;
    static final long DST_HI = 0x2001_0db8_0000_0000L;
    static final long DST_LO = 2;
    static final long MAC = 0x020000000002L;
    static final int TCP_HL = 32;
    final PacketPool pool = new PacketPool(256, 2048, 16);

    /** A TCP/IPv6 GSO packet (window: IPv6 header) with a timestamp option and a partial checksum. */
    PacketBuf tcp6Packet(byte[] payload, int seq, int flags, int mss) {
        PacketBuf p = pool.allocate(60000);
        int at = p.append(40 + TCP_HL + payload.length);
        Ipv6Header.emit(p.buf(), at, 0x20, 0x12345, TCP_HL + payload.length, 6, 64, SRC_HI, SRC_LO, DST_HI, DST_LO);
        GsoGroTest.tcpGsoPacket(p, at, 40, Checksum.pseudoV6(SRC_HI, SRC_LO, DST_HI, DST_LO, 6, TCP_HL + payload.length),
                payload, seq, flags, mss, VnetHeader.GSO_TCPV6);
        return p;
    }

    /** Segments as received Ethernet frames with full checksums, as a peer without TSO sends them. */
    List<PacketBuf> frames(byte[] data, int seq, int lastFlags, int mss) {
        return GsoGroTest.segmentsAsFrames(pool, tcp6Packet(data, seq, lastFlags, mss), EthernetFrame.TYPE_IPV6);
    }

    static int seq(PacketBuf p) {
        return p.buf().getInt(p.start() + 14 + 40 + 4);
    }

    void assertNoLeak() {
        assertEquals(pool.totalSmall(), pool.availableSmall(), "no buffer leaked");
        assertEquals(pool.totalLarge(), pool.availableLarge(), "no buffer leaked");
    }

    @Test
    void groMergesInOrderIpv6SegmentsOfOneFlow_rfc8200s3() {
        byte[] data = GsoGroTest.payload(20 * 1448, 2);
        List<PacketBuf> delivered = new ArrayList<>();
        Gro gro = new Gro(pool, delivered::add);
        for (PacketBuf f : frames(data, 5000, 0x18, 1448)) {
            assertTrue(gro.offer(f, MAC));
        }
        assertEquals(1, delivered.size(), "the last carried PSH: the flow was flushed already");
        gro.flush();
        PacketBuf m = delivered.get(0);
        ByteBuffer b = m.buf();
        int l3 = m.start() + 14;
        Ipv6Header h = new Ipv6Header().wrap(b, l3, m.length() - 14);
        assertEquals(Ipv6Header.Error.NONE, h.check());
        assertEquals(TCP_HL + data.length, h.payloadLength(), "payload length covers every segment");
        assertEquals(m.length() - 14 - 40, h.payloadLength());
        assertEquals(0x20, h.trafficClass());
        assertEquals(0x12345, h.flowLabel());
        assertEquals(64, h.hopLimit());
        assertEquals(5000, seq(m));
        assertEquals(0x18, b.get(l3 + 40 + 13) & 0xff, "PSH of the last segment kept");
        byte[] got = new byte[data.length];
        b.get(l3 + 40 + TCP_HL, got);
        assertArrayEquals(data, got);
        assertEquals(PacketBuf.CSUM_VALID, m.csumState);
        assertEquals(VnetHeader.GSO_TCPV6, m.gsoType);
        assertEquals(1448, m.gsoSize);
        assertEquals(19, gro.merged());
        m.release();
        assertNoLeak();
    }

    @Test
    void groKeepsIpv6OrderAndDoesNotMergeAcrossGapsOrBadChecksums() {
        byte[] data = GsoGroTest.payload(6 * 1000, 3);
        assertEquals(List.of(0, 4000, 3000, 5000), GsoGroTest.offerWithAGapAndABadChecksum(pool, frames(data, 0, 0x10, 1000), 40));
    }

    /**
     * A segment whose traffic class, flow label or hop limit differs from the held ones is not
     * merged with them: it flushes them and starts a packet of its own.
     */
    @ParameterizedTest
    @ValueSource(strings = {"trafficClass", "flowLabel", "hopLimit"})
    void segmentsWithAnotherTrafficClassFlowLabelOrHopLimitAreNotMerged(String field) {
        byte[] data = GsoGroTest.payload(6 * 1000, 4);
        List<PacketBuf> in = frames(data, 0, 0x10, 1000);
        PacketBuf odd = in.get(2);
        int l3 = odd.start() + 14;
        ByteBuffer b = odd.buf();
        switch (field) {
            case "trafficClass" -> b.putInt(l3, b.getInt(l3) ^ 0x0010_0000);
            case "flowLabel" -> b.putInt(l3, b.getInt(l3) ^ 0x0000_0001);
            default -> b.put(l3 + 7, (byte) 63);
        }
        List<PacketBuf> delivered = new ArrayList<>();
        Gro gro = new Gro(pool, delivered::add);
        for (PacketBuf f : in) {
            assertTrue(gro.offer(f, MAC));
        }
        gro.flush();
        List<Integer> seqs = new ArrayList<>();
        delivered.forEach(d -> seqs.add(seq(d)));
        assertEquals(List.of(0, 2000, 3000), seqs, field);
        assertEquals(3, gro.merged());
        delivered.forEach(PacketBuf::release);
        assertNoLeak();
    }

    /** End to end: a TCP/IPv6 stream between two stacks arrives whole through the receiver's GRO. */
    @Test
    void aTcpStreamOverIpv6ArrivesWholeThroughGro() throws Exception {
        io.tapstack.TwoHosts h = new io.tapstack.TwoHosts();
        h.a.config().ipv6.add(io.tapstack.wire.Ipv6InterfaceAddress.parse("2001:db8::1/64"));
        h.b.config().ipv6.add(io.tapstack.wire.Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        h.run(3_000_000_000L, 100_000_000L);
        io.tapstack.wire.IpAddr b6 = io.tapstack.wire.IpAddr.parse("2001:db8::2");
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        h.b.tcp().listen(null, 9000, 4, null).setAcceptHandler(l -> {
            io.tapstack.tcp.TcpConnection c;
            while ((c = l.accept()) != null) {
                c.setHandler(new io.tapstack.tcp.TcpHandler() {
                    @Override
                    public void onReadable(io.tapstack.tcp.TcpConnection c) {
                        byte[] buf = new byte[65536];
                        try {
                            int n;
                            while ((n = c.read(buf, 0, buf.length)) > 0) {
                                got.write(buf, 0, n);
                            }
                        } catch (io.tapstack.socket.TcpException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
            }
        });
        io.tapstack.tcp.TcpConnection c = h.a.tcp().connect(b6, 9000, new io.tapstack.tcp.TcpHandler() {
        });
        h.settle();
        byte[] data = GsoGroTest.payload(2_000_000, 6);
        int off = 0;
        for (int i = 0; i < 100_000 && got.size() < data.length; i++) {
            if (off < data.length) {
                off += c.write(data, off, data.length - off);
            }
            h.run(1_000_000L, 1_000_000L);
        }
        assertArrayEquals(data, got.toByteArray());
        assertTrue(h.b.gro().merged() > 0, "segments were merged: " + h.b.gro().merged());
        assertEquals(h.b.gro().merged(), h.b.linkStats().get(LinkCounter.RX_GRO_MERGED), "and counted");
        assertEquals(0, h.b.tcp().counters().get(io.tapstack.tcp.TcpCounter.DROP_BAD_CHECKSUM));
        assertEquals(0, h.b.linkStats().get(LinkCounter.INTERNAL_ERROR));
    }

    /**
     * A segment of the flow carrying an extension header (RFC 8200 §4) is not merged and does not
     * overtake the held segments: they are handed on first.
     */
    @Test
    void aSegmentWithAnExtensionHeaderFlushesTheFlowFirst_rfc8200s4() {
        byte[] data = GsoGroTest.payload(3 * 1000, 5);
        List<PacketBuf> in = frames(data, 0, 0x10, 1000);
        // the third: a Destination Options header (8 bytes of PadN) before its TCP header
        PacketBuf s = in.get(2);
        int len = s.length();
        PacketBuf x = pool.allocate(len + 8);
        int at = x.append(len + 8);
        ByteBuffer b = x.buf();
        b.put(at, s.buf(), s.start(), 14 + 40);
        b.put(at + 14 + 6, (byte) Ipv6Header.NH_DEST_OPTIONS);
        b.putShort(at + 14 + 4, (short) ((s.buf().getShort(s.start() + 14 + 4) & 0xffff) + 8));
        b.put(at + 14 + 40, (byte) 6);
        b.put(at + 14 + 41, (byte) 0);
        b.put(at + 14 + 42, (byte) 1);
        b.put(at + 14 + 43, (byte) 4);
        b.putInt(at + 14 + 44, 0);
        b.put(at + 14 + 48, s.buf(), s.start() + 14 + 40, len - 14 - 40);
        s.release();
        List<PacketBuf> delivered = new ArrayList<>();
        Gro gro = new Gro(pool, delivered::add);
        assertTrue(gro.offer(in.get(0), MAC));
        assertTrue(gro.offer(in.get(1), MAC));
        assertFalse(gro.offer(x, MAC), "not a GRO candidate");
        assertEquals(1, delivered.size(), "the held segments were handed on before it");
        assertEquals(2000, delivered.get(0).length() - 14 - 40 - TCP_HL);
        x.release();
        delivered.forEach(PacketBuf::release);
        assertNoLeak();
    }
}
