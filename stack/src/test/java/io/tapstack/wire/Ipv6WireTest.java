package io.tapstack.wire;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** emit → parse round trips and random bytes for the IPv6 views. */
class Ipv6WireTest {
    @Test
    void ipv6HeaderRoundTripAndGoldenBytes() {
        ByteBuffer b = ByteBuffer.allocate(48);
        IpAddr s = IpAddr.parse("fe80::1");
        IpAddr d = IpAddr.parse("ff02::1:ff00:2");
        Ipv6Header.emit(b, 0, 0xb8, 0x12345, 8, 58, 255, s.hi(), s.lo(), d.hi(), d.lo());
        // version 6, traffic class 0xb8, flow label 0x12345 → 6b 81 23 45 (RFC 8200 §3 layout)
        assertEquals(0x6b812345, b.getInt(0));
        Ipv6Header h = new Ipv6Header().wrap(b, 0, 48);
        assertEquals(Ipv6Header.Error.NONE, h.check());
        assertEquals(0xb8, h.trafficClass());
        assertEquals(0x12345, h.flowLabel());
        assertEquals(8, h.payloadLength());
        assertEquals(58, h.nextHeader());
        assertEquals(255, h.hopLimit());
        assertEquals(s, IpAddr.of(h.srcHi(), h.srcLo()));
        assertEquals(d, IpAddr.of(h.dstHi(), h.dstLo()));
        assertEquals(Ipv6Header.Error.TRUNCATED, new Ipv6Header().wrap(b, 0, 39).check());
        assertEquals(Ipv6Header.Error.BAD_PAYLOAD_LENGTH, new Ipv6Header().wrap(b, 0, 47).check());
        b.put(0, (byte) 0x45);
        assertEquals(Ipv6Header.Error.BAD_VERSION, h.check());
    }

    @Test
    void fragmentHeaderRoundTrip() {
        ByteBuffer b = ByteBuffer.allocate(8);
        Ipv6FragmentHeader.emit(b, 0, 17, 1448, true, 0xdeadbeef);
        Ipv6FragmentHeader f = new Ipv6FragmentHeader().wrap(b, 0, 8);
        assertTrue(f.check());
        assertEquals(17, f.nextHeader());
        assertEquals(1448, f.fragmentOffset());
        assertTrue(f.moreFragments());
        assertEquals(0xdeadbeef, f.identification());
        assertFalse(f.isAtomic());
        Ipv6FragmentHeader.emit(b, 0, 17, 0, false, 1);
        assertTrue(f.isAtomic());
        assertFalse(new Ipv6FragmentHeader().wrap(b, 0, 7).check());
    }

    @Test
    void extHeaderOptionsIteration() {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(0, (byte) 58).put(1, (byte) 1);
        // Pad1, Router Alert(2 bytes), PadN(len 6) → 1 + 4 + 8 = 13, then Pad1 ×1 = 14 = 16 - 2
        b.put(2, (byte) 0);
        b.put(3, (byte) 5).put(4, (byte) 2).putShort(5, (short) 0);
        b.put(7, (byte) 1).put(8, (byte) 6);
        b.put(15, (byte) 0);
        Ipv6ExtHeader e = new Ipv6ExtHeader().wrap(b, 0, 16);
        assertTrue(e.check());
        assertEquals(16, e.headerLength());
        e.startOptions();
        int[] types = new int[4];
        int n = 0;
        int r;
        while ((r = e.nextOption()) == 1) {
            types[n++] = e.optionType();
        }
        assertEquals(0, r);
        assertEquals(4, n);
        assertEquals(5, types[1]);
        assertEquals(2, Ipv6ExtHeader.action(0x9e));
        // an option running past the header is malformed
        b.put(8, (byte) 40);
        e.startOptions();
        while ((r = e.nextOption()) == 1) {
            // skip
        }
        assertEquals(-1, r);
        assertFalse(new Ipv6ExtHeader().wrap(b, 0, 8).check());
    }

    @Test
    void ndpOptionsCheckAndFind() {
        ByteBuffer b = ByteBuffer.allocate(48);
        NdpOptions.emitLla(b, 0, NdpOptions.SOURCE_LLA, 0x020000000001L);
        NdpOptions.emitPrefix(b, 8, 64, true, true, 100, 50, 0x20010db800000000L, 0);
        NdpOptions.emitMtu(b, 40, 1400);
        NdpOptions o = new NdpOptions().wrap(b, 0, 48);
        assertTrue(o.check());
        assertEquals(0, o.find(NdpOptions.SOURCE_LLA));
        assertEquals(8, o.find(NdpOptions.PREFIX_INFO));
        assertEquals(40, o.find(NdpOptions.MTU));
        assertEquals(-1, o.find(NdpOptions.TARGET_LLA));
        assertEquals(0x020000000001L, NdpOptions.lla(b, 0));
        assertEquals(1400, b.getInt(44));
        b.put(41, (byte) 0);
        assertFalse(new NdpOptions().wrap(b, 0, 48).check());
        b.put(41, (byte) 2);
        assertFalse(new NdpOptions().wrap(b, 0, 48).check());
    }

    @Test
    void addressHelpers() {
        IpAddr a = IpAddr.parse("2001:db8::1:2345:6789");
        assertEquals(IpAddr.parse("ff02::1:ff45:6789"), IpAddr.of(Ipv6Address.solicitedNodeHi(), Ipv6Address.solicitedNodeLo(a.lo())));
        assertEquals(0x3333ff456789L, Ipv6Address.multicastMac(Ipv6Address.solicitedNodeLo(a.lo())));
        assertTrue(Ipv6Address.isLinkLocal(IpAddr.parse("fe80::1").hi()));
        assertTrue(Ipv6Address.isLinkLocal(IpAddr.parse("febf::1").hi()));
        assertFalse(Ipv6Address.isLinkLocal(IpAddr.parse("fec0::1").hi()));
        assertTrue(Ipv6Address.inPrefix(a.hi(), a.lo(), IpAddr.parse("2001:db8::").hi(), 0, 32));
        assertFalse(Ipv6Address.inPrefix(a.hi(), a.lo(), IpAddr.parse("2001:db9::").hi(), 0, 32));
        assertEquals(Ipv6Address.SCOPE_LINK, Ipv6Address.scope(IpAddr.parse("ff02::1").hi(), 1));
        assertEquals(Ipv6Address.SCOPE_GLOBAL, Ipv6Address.scope(a.hi(), a.lo()));
    }

    @Test
    void randomBytesNeverThrowInViews() {
        Random r = new Random(3);
        Ipv6Header h = new Ipv6Header();
        Ipv6ExtHeader e = new Ipv6ExtHeader();
        NdpOptions o = new NdpOptions();
        for (int i = 0; i < 20000; i++) {
            byte[] x = new byte[r.nextInt(80)];
            r.nextBytes(x);
            ByteBuffer b = ByteBuffer.wrap(x);
            if (h.wrap(b, 0, x.length).check() == Ipv6Header.Error.NONE) {
                h.nextHeader();
                h.srcLo();
            }
            Ipv6Header.upperLayerOffset(b, 0, x.length, 17);
            if (e.wrap(b, 0, x.length).check()) {
                e.startOptions();
                int guard = 0;
                while (e.nextOption() == 1 && guard++ < 100) {
                    e.optionType();
                }
            }
            if (o.wrap(b, 0, x.length).check()) {
                while (o.next()) {
                    o.type();
                }
            }
        }
    }
}
