package io.tapstack.wire;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzz targets (Jazzer) for every {@code wire} view: parse → emit → parse.
 * Whatever a view accepts after {@code check()} is written back with the view's own
 * {@code emit}, parsed again, and must give the same fields (and, where the emitter writes
 * every byte, the same bytes). Nothing may throw but an assertion.
 *
 * <p>Regression mode (every build) runs the inputs under
 * {@code src/test/resources/io/tapstack/wire/WireFuzzTargetInputs/<method>/}; real fuzzing:
 * {@code scripts/fuzz.sh WireFuzzTarget#ipv4 --minutes 5}.
 */
class WireFuzzTarget {

    /** The input at offset 3 of a buffer with exactly the input's bytes after it (views use absolute offsets). */
    private static ByteBuffer at3(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(3 + data.length);
        b.put(3, data);
        return b;
    }

    private static byte[] bytes(ByteBuffer b, int off, int len) {
        byte[] r = new byte[len];
        b.get(off, r);
        return r;
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void ethernet(byte[] data) {
        ByteBuffer b = at3(data);
        EthernetFrame e = new EthernetFrame().wrap(b, 3, data.length);
        if (!e.check()) {
            assertTrue(data.length < EthernetFrame.HEADER_LEN + EthernetFrame.VLAN_TAG_LEN, "only short frames fail");
            return;
        }
        int plen = e.payloadLength();
        assertTrue(plen >= 0 && e.payloadOffset() + plen == 3 + data.length, "payload inside the frame");
        // emit writes an untagged header: the same addresses, type and payload come back
        ByteBuffer o = ByteBuffer.allocate(EthernetFrame.HEADER_LEN + plen);
        EthernetFrame.emit(o, 0, e.dst(), e.src(), e.etherType());
        o.put(EthernetFrame.HEADER_LEN, data, e.headerLength(), plen);
        EthernetFrame r = new EthernetFrame().wrap(o, 0, o.capacity());
        assertTrue(r.check() || e.etherType() == EthernetFrame.TYPE_VLAN);
        if (e.etherType() == EthernetFrame.TYPE_VLAN) {
            return; // a doubly tagged frame: re-tagging is not emit's job
        }
        assertEquals(e.dst(), r.dst());
        assertEquals(e.src(), r.src());
        assertEquals(e.etherType(), r.etherType());
        assertEquals(plen, r.payloadLength());
        assertEquals(0, r.vlanId());
        assertArrayEquals(bytes(b, e.payloadOffset(), plen), bytes(o, r.payloadOffset(), plen));
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void arp(byte[] data) {
        ByteBuffer b = at3(data);
        ArpPacket a = new ArpPacket().wrap(b, 3, data.length);
        if (a.check() != ArpPacket.Error.NONE) {
            return;
        }
        ByteBuffer o = ByteBuffer.allocate(ArpPacket.LENGTH);
        ArpPacket.emit(o, 0, a.operation(), a.senderMac(), a.senderIp(), a.targetMac(), a.targetIp());
        // every byte of a valid ARP packet is a field emit writes: identical bytes
        assertArrayEquals(bytes(b, 3, ArpPacket.LENGTH), o.array());
        assertEquals(ArpPacket.Error.NONE, new ArpPacket().wrap(o, 0, ArpPacket.LENGTH).check());
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void ipv4(byte[] data) {
        ByteBuffer b = at3(data);
        Ipv4Header h = new Ipv4Header().wrap(b, 3, data.length);
        Ipv4Header.Error unchecked = h.check(false);
        Ipv4Header.Error checked = h.check(true);
        // the checksum is the last check: with it off, the verdict differs only by BAD_CHECKSUM
        assertTrue(checked == unchecked || checked == Ipv4Header.Error.BAD_CHECKSUM && unchecked == Ipv4Header.Error.NONE);
        if (unchecked != Ipv4Header.Error.NONE) {
            return;
        }
        assertTrue(h.payloadLength() >= 0 && h.payloadOffset() + h.payloadLength() <= 3 + data.length);
        int hl = h.headerLength();
        ByteBuffer o = ByteBuffer.allocate(Ipv4Header.MIN_LENGTH + h.payloadLength());
        Ipv4Header.emit(o, 0, h.tos(), o.capacity(), h.ident(), h.flagsFrag(), h.ttl(), h.protocol(), h.src(), h.dst());
        o.put(Ipv4Header.MIN_LENGTH, data, hl, h.payloadLength());
        Ipv4Header r = new Ipv4Header().wrap(o, 0, o.capacity());
        // emit drops options and writes a valid checksum
        assertEquals(Ipv4Header.Error.NONE, r.check(true));
        assertEquals(h.tos(), r.tos());
        assertEquals(h.ident(), r.ident());
        assertEquals(h.flagsFrag(), r.flagsFrag());
        assertEquals(h.fragmentOffset(), r.fragmentOffset());
        assertEquals(h.isFragment(), r.isFragment());
        assertEquals(h.ttl(), r.ttl());
        assertEquals(h.protocol(), r.protocol());
        assertEquals(h.src(), r.src());
        assertEquals(h.dst(), r.dst());
        assertEquals(h.payloadLength(), r.payloadLength());
        if (hl == Ipv4Header.MIN_LENGTH && checked == Ipv4Header.Error.NONE) {
            // no options: the same 20 bytes, except that 0x0000 and 0xffff are the same checksum (RFC 1071 §1)
            byte[] in = bytes(b, 3, 20);
            byte[] out = bytes(o, 0, 20);
            if ((in[10] & in[11] & 0xff) == 0xff) {
                in[10] = in[11] = 0;
            }
            assertArrayEquals(in, out);
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void icmpv4(byte[] data) {
        ByteBuffer b = at3(data);
        Icmpv4 m = new Icmpv4().wrap(b, 3, data.length);
        if (m.check(false) != Icmpv4.Error.NONE) {
            assertTrue(data.length < Icmpv4.HEADER_LEN);
            return;
        }
        boolean valid = m.check(true) == Icmpv4.Error.NONE;
        ByteBuffer o = ByteBuffer.allocate(data.length);
        Icmpv4.emitHeader(o, 0, m.type(), m.code(), b.getInt(3 + Icmpv4.REST));
        o.put(Icmpv4.HEADER_LEN, data, Icmpv4.HEADER_LEN, m.dataLength());
        Icmpv4.fillChecksum(o, 0, data.length);
        Icmpv4 r = new Icmpv4().wrap(o, 0, data.length);
        assertEquals(Icmpv4.Error.NONE, r.check(true));
        assertEquals(m.type(), r.type());
        assertEquals(m.code(), r.code());
        assertEquals(m.id(), r.id());
        assertEquals(m.seq(), r.seq());
        assertEquals(m.dataLength(), r.dataLength());
        if (valid) {
            assertEquals(Icmpv4.Error.NONE, new Icmpv4().wrap(b, 3, data.length).check(true));
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void icmpv6(FuzzedDataProvider in) {
        long sHi = in.consumeLong(), sLo = in.consumeLong(), dHi = in.consumeLong(), dLo = in.consumeLong();
        byte[] data = in.consumeRemainingAsBytes();
        long pseudo = Checksum.pseudoV6(sHi, sLo, dHi, dLo, Ipv6Header.NH_ICMPV6, data.length);
        ByteBuffer b = at3(data);
        Icmpv6 m = new Icmpv6().wrap(b, 3, data.length);
        if (m.check(false, pseudo) != Icmpv6.Error.NONE) {
            assertTrue(data.length < 4);
            return;
        }
        if (data.length < Icmpv6.HEADER_LEN) {
            return; // type, code and checksum only: nothing for emit to carry
        }
        ByteBuffer o = ByteBuffer.allocate(data.length);
        Icmpv6.emitHeader(o, 0, m.type(), m.code(), m.rest());
        o.put(Icmpv6.HEADER_LEN, data, Icmpv6.HEADER_LEN, m.dataLength());
        Icmpv6.fillChecksum(o, 0, data.length, pseudo);
        Icmpv6 r = new Icmpv6().wrap(o, 0, data.length);
        assertEquals(Icmpv6.Error.NONE, r.check(true, pseudo), "an emitted checksum verifies");
        assertEquals(m.type(), r.type());
        assertEquals(m.code(), r.code());
        assertEquals(m.rest(), r.rest());
        assertEquals(m.id(), r.id());
        assertEquals(m.seq(), r.seq());
        assertEquals(Icmpv6.isError(m.type()), m.type() < 128);
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void udp(FuzzedDataProvider in) {
        int src = in.consumeInt(), dst = in.consumeInt();
        byte[] data = in.consumeRemainingAsBytes();
        ByteBuffer b = at3(data);
        UdpHeader u = new UdpHeader().wrap(b, 3, data.length);
        if (u.check() != UdpHeader.Error.NONE) {
            return;
        }
        assertTrue(u.dataLength() >= 0 && u.dataOffset() + u.dataLength() <= 3 + data.length);
        int len = u.length();
        ByteBuffer o = ByteBuffer.allocate(len);
        UdpHeader.emit(o, 0, u.srcPort(), u.dstPort(), len);
        o.put(UdpHeader.HEADER_LEN, data, UdpHeader.HEADER_LEN, u.dataLength());
        long pseudo = Checksum.pseudoV4(src, dst, Ipv4Header.PROTO_UDP, len);
        UdpHeader.fillChecksum(o, 0, len, pseudo);
        UdpHeader r = new UdpHeader().wrap(o, 0, len);
        assertEquals(UdpHeader.Error.NONE, r.check());
        assertEquals(u.srcPort(), r.srcPort());
        assertEquals(u.dstPort(), r.dstPort());
        assertEquals(u.dataLength(), r.dataLength());
        // RFC 768: a computed zero is sent as all ones; the datagram verifies
        assertTrue(r.checksum() != 0);
        assertEquals(0, Checksum.finish(Checksum.add(pseudo, o, 0, len)));
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void tcp(FuzzedDataProvider in) {
        long sHi = in.consumeLong(), sLo = in.consumeLong();
        byte[] data = in.consumeRemainingAsBytes();
        ByteBuffer b = at3(data);
        TcpHeader t = new TcpHeader().wrap(b, 3, data.length);
        if (t.check() != TcpHeader.Error.NONE) {
            return;
        }
        int hl = t.headerLength();
        assertTrue(hl >= TcpHeader.MIN_LENGTH && hl <= TcpHeader.MAX_LENGTH && hl <= data.length);
        assertEquals(data.length, hl + t.payloadLength());
        TcpOptions opts = new TcpOptions();
        boolean optsOk = opts.parse(b, t.optionsOffset(), t.optionsLength());
        ByteBuffer o = ByteBuffer.allocate(data.length);
        TcpHeader.emit(o, 0, t.srcPort(), t.dstPort(), t.seq(), t.ack(), hl, t.flags(), t.window());
        o.put(TcpHeader.MIN_LENGTH, data, TcpHeader.MIN_LENGTH, data.length - TcpHeader.MIN_LENGTH);
        long pseudo = Checksum.pseudoV6(sHi, sLo, ~sHi, ~sLo, Ipv6Header.NH_TCP, data.length);
        o.putShort(TcpHeader.CHECKSUM, (short) Checksum.finish(Checksum.add(pseudo, o, 0, data.length)));
        TcpHeader r = new TcpHeader().wrap(o, 0, data.length);
        assertEquals(TcpHeader.Error.NONE, r.check());
        assertEquals(t.srcPort(), r.srcPort());
        assertEquals(t.dstPort(), r.dstPort());
        assertEquals(t.seq(), r.seq());
        assertEquals(t.ack(), r.ack());
        assertEquals(hl, r.headerLength());
        assertEquals(t.flags(), r.flags());
        assertEquals(t.window(), r.window());
        assertEquals(t.payloadLength(), r.payloadLength());
        assertEquals(0, r.urgentPointer(), "emit leaves no urgent pointer");
        assertEquals(0, Checksum.finish(Checksum.add(pseudo, o, 0, data.length)));
        TcpOptions again = new TcpOptions();
        assertEquals(optsOk, again.parse(o, r.optionsOffset(), r.optionsLength()));
        assertSameOptions(opts, again);
        assertTrue(TcpHeader.flagString(t.flags()).length() > 0);
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void tcpOptions(byte[] data) {
        ByteBuffer b = at3(data);
        TcpOptions o = new TcpOptions();
        if (!o.parse(b, 3, data.length)) {
            return;
        }
        assertTrue(o.sackCount >= 0 && o.sackCount <= TcpOptions.MAX_SACK_BLOCKS);
        assertTrue(o.wscale >= 0 && o.wscale <= TcpOptions.MAX_WSCALE);
        // write back what was understood with the writers, parse again: the same options
        ByteBuffer w = ByteBuffer.allocate(80);
        int n = 0;
        if (o.hasMss) {
            n += TcpOptions.writeMss(w, n, o.mss);
        }
        if (o.hasWscale) {
            n += TcpOptions.writeNopWscale(w, n, o.wscale);
        }
        if (o.sackPermitted && o.hasTimestamp) {
            n += TcpOptions.writeSackPermTimestamp(w, n, o.tsVal, o.tsEcr);
        } else if (o.sackPermitted) {
            n += TcpOptions.writeSackPermitted(w, n);
        } else if (o.hasTimestamp) {
            n += TcpOptions.writeTimestamp(w, n, o.tsVal, o.tsEcr);
        }
        if (o.sackCount > 0) {
            n += TcpOptions.writeSack(w, n, o.sackLeft, o.sackRight, o.sackCount);
        }
        TcpOptions r = new TcpOptions();
        assertTrue(r.parse(w, 0, n), "what the writers write parses");
        assertTrue(!r.badKnownLength);
        assertSameOptions(o, r);
    }

    private static void assertSameOptions(TcpOptions a, TcpOptions b) {
        assertEquals(a.hasMss, b.hasMss);
        assertEquals(a.mss, b.mss);
        assertEquals(a.hasWscale, b.hasWscale);
        assertEquals(a.wscale, b.wscale);
        assertEquals(a.sackPermitted, b.sackPermitted);
        assertEquals(a.hasTimestamp, b.hasTimestamp);
        assertEquals(a.tsVal, b.tsVal);
        assertEquals(a.tsEcr, b.tsEcr);
        assertEquals(a.sackCount, b.sackCount);
        for (int i = 0; i < a.sackCount; i++) {
            assertEquals(a.sackLeft[i], b.sackLeft[i]);
            assertEquals(a.sackRight[i], b.sackRight[i]);
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void ipv6(byte[] data) {
        ByteBuffer b = at3(data);
        Ipv6Header h = new Ipv6Header().wrap(b, 3, data.length);
        if (h.check() != Ipv6Header.Error.NONE) {
            return;
        }
        ByteBuffer o = ByteBuffer.allocate(Ipv6Header.LENGTH);
        Ipv6Header.emit(o, 0, h.trafficClass(), h.flowLabel(), h.payloadLength(), h.nextHeader(), h.hopLimit(),
                h.srcHi(), h.srcLo(), h.dstHi(), h.dstLo());
        // version 6 is checked, every other bit is a field: identical bytes
        assertArrayEquals(bytes(b, 3, Ipv6Header.LENGTH), o.array());
        // the upper-layer walk stays inside the packet or says -1
        for (int proto : new int[] {Ipv6Header.NH_TCP, Ipv6Header.NH_UDP, Ipv6Header.NH_ICMPV6}) {
            int at = Ipv6Header.upperLayerOffset(b, 3, data.length, proto);
            assertTrue(at == -1 || at >= 3 + Ipv6Header.LENGTH && at <= 3 + data.length, "upper layer at " + at);
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void ipv6Extensions(byte[] data) {
        ByteBuffer b = at3(data);
        Ipv6ExtHeader x = new Ipv6ExtHeader().wrap(b, 3, data.length);
        if (x.check()) {
            int end = 3 + x.headerLength();
            assertTrue(end <= 3 + data.length);
            x.startOptions();
            int covered = 2;
            for (int guard = 0; ; guard++) {
                assertTrue(guard <= x.headerLength(), "option walk ends");
                int r = x.nextOption();
                if (r == 0) {
                    assertEquals(x.headerLength(), covered, "options fill the header exactly");
                    break;
                }
                if (r < 0) {
                    break;
                }
                int ol = x.optionType() == Ipv6ExtHeader.OPT_PAD1 ? 1 : 2 + x.optionDataLength();
                assertTrue(x.optionOffset() >= 3 + 2 && x.optionOffset() + ol <= end, "option inside the header");
                assertTrue(Ipv6ExtHeader.action(x.optionType()) >= 0 && Ipv6ExtHeader.action(x.optionType()) <= 3);
                covered += ol;
            }
        }
        Ipv6FragmentHeader f = new Ipv6FragmentHeader().wrap(b, 3, data.length);
        if (f.check()) {
            ByteBuffer o = ByteBuffer.allocate(Ipv6FragmentHeader.LENGTH);
            Ipv6FragmentHeader.emit(o, 0, f.nextHeader(), f.fragmentOffset(), f.moreFragments(), f.identification());
            Ipv6FragmentHeader r = new Ipv6FragmentHeader().wrap(o, 0, 8);
            assertTrue(r.check());
            assertEquals(f.nextHeader(), r.nextHeader());
            assertEquals(f.fragmentOffset(), r.fragmentOffset());
            assertEquals(f.moreFragments(), r.moreFragments());
            assertEquals(f.identification(), r.identification());
            assertEquals(f.isAtomic(), r.isAtomic());
            assertEquals(0, f.fragmentOffset() & 7, "offsets are in 8-byte units");
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void ndpOptions(byte[] data) {
        ByteBuffer b = at3(data);
        NdpOptions o = new NdpOptions().wrap(b, 3, data.length);
        if (!o.check()) {
            return;
        }
        int seen = 0;
        int[] firstOfType = new int[256];
        java.util.Arrays.fill(firstOfType, -1);
        o.rewind();
        while (o.next()) {
            int at = o.optionOffset();
            int len = o.optionLength();
            assertTrue(len >= 8 && at + len <= 3 + data.length, "option inside the message");
            assertEquals(len, o.optionLengthAt(at));
            if (firstOfType[o.type()] < 0) {
                firstOfType[o.type()] = at;
            }
            seen += len;
            // round trip of the options the stack writes
            ByteBuffer w = ByteBuffer.allocate(len);
            if ((o.type() == NdpOptions.SOURCE_LLA || o.type() == NdpOptions.TARGET_LLA) && len == NdpOptions.LLA_OPTION_LEN) {
                NdpOptions.emitLla(w, 0, o.type(), NdpOptions.lla(b, at));
                assertArrayEquals(bytes(b, at, len), w.array());
            } else if (o.type() == NdpOptions.MTU && len == 8) {
                NdpOptions.emitMtu(w, 0, b.getInt(at + 4));
                assertEquals(b.getInt(at + 4), w.getInt(4));
                assertEquals(NdpOptions.MTU, w.get(0));
            } else if (o.type() == NdpOptions.PREFIX_INFO && len == 32) {
                int flags = b.get(at + NdpOptions.PI_FLAGS) & 0xff;
                NdpOptions.emitPrefix(w, 0, b.get(at + NdpOptions.PI_PREFIX_LENGTH) & 0xff,
                        (flags & NdpOptions.PI_FLAG_ONLINK) != 0, (flags & NdpOptions.PI_FLAG_AUTO) != 0,
                        Integer.toUnsignedLong(b.getInt(at + NdpOptions.PI_VALID)),
                        Integer.toUnsignedLong(b.getInt(at + NdpOptions.PI_PREFERRED)),
                        b.getLong(at + NdpOptions.PI_PREFIX), b.getLong(at + NdpOptions.PI_PREFIX + 8));
                for (int i : new int[] {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11}) {
                    assertEquals(b.get(at + i), w.get(i), "prefix option byte " + i);
                }
                assertEquals(b.getLong(at + 16), w.getLong(16));
                assertEquals(b.getLong(at + 24), w.getLong(24));
            }
        }
        assertEquals(data.length, seen, "the options cover the message");
        for (int type : new int[] {NdpOptions.SOURCE_LLA, NdpOptions.TARGET_LLA, NdpOptions.PREFIX_INFO, NdpOptions.MTU,
                NdpOptions.REDIRECTED_HEADER, NdpOptions.NONCE}) {
            assertEquals(firstOfType[type], o.find(type), "find gives the first option of type " + type);
        }
    }

    @FuzzTest(maxDuration = "1h", maxExecutions = 10_000_000)
    void addresses(FuzzedDataProvider in) {
        int v4 = in.consumeInt();
        long hi = in.consumeLong(), lo = in.consumeLong(), mac = in.consumeLong() & 0xffff_ffff_ffffL;
        String text = in.consumeRemainingAsString();
        assertEquals(v4, Ipv4Address.parse(Ipv4Address.toString(v4)));
        IpAddr a = IpAddr.of(hi, lo);
        assertEquals(a, IpAddr.parse(a.toString()), "text of " + Ipv6Address.toString(hi, lo));
        assertEquals(a, IpAddr.parse(Ipv6Address.toString(hi, lo)));
        assertEquals(mac, MacAddress.parse(MacAddress.toString(mac)).bits());
        // arbitrary text: parsed or refused with IllegalArgumentException, and what parses prints back the same
        for (int kind = 0; kind < 3; kind++) {
            try {
                switch (kind) {
                    case 0 -> {
                        IpAddr p = IpAddr.parse(text);
                        assertEquals(p, IpAddr.parse(p.toString()));
                    }
                    case 1 -> {
                        long m = MacAddress.parse(text).bits();
                        assertTrue(m >= 0 && m <= 0xffff_ffff_ffffL);
                    }
                    default -> {
                        int p = Ipv4Address.parse(text);
                        assertEquals(p, Ipv4Address.parse(Ipv4Address.toString(p)));
                    }
                }
            } catch (IllegalArgumentException expected) {
                // refused, as documented
            } catch (RuntimeException e) {
                fail("parsing " + new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8) + " threw " + e);
            }
        }
    }
}
