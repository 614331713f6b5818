package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.ip6.Ipv6PingTest.G_A;
import static io.tapstack.ip6.Ipv6PingTest.G_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How much of the invoking packet an ICMPv6 error carries: RFC 4443 §2.4 (c), "as much of
 * invoking packet as possible without the ICMPv6 packet exceeding the minimum IPv6 MTU", so
 * an error about a long packet is exactly 1,280 octets (40 IPv6 + 8 ICMPv6 + 1,232 quoted)
 * and an error about a short one quotes it whole (not the link-layer trailer after it).
 */
class Icmp6ErrorQuoteTest {
    /** Octets of the invoking packet that fit: 1280 − 40 − 8. */
    static final int MAX_QUOTE = 1232;

    final TwoHosts h = Ipv6PingTest.v6Hosts();
    final Frames.Recorder fromB = new Frames.Recorder();

    Icmp6ErrorQuoteTest() {
        h.b.setFrameTap(fromB);
    }

    /** An IPv6 packet from A to B. */
    static byte[] packet(int nextHeader, byte[] payload) {
        return Arrays.copyOfRange(Frames.ipv6(MAC_B, MAC_A, G_A.hi(), G_A.lo(), G_B.hi(), G_B.lo(), nextHeader, 64,
                payload), EthernetFrame.HEADER_LEN, EthernetFrame.HEADER_LEN + Ipv6Header.LENGTH + payload.length);
    }

    /** Puts {@code packet} on B's wire followed by up to 8 octets of trailer (as far as the MTU allows). */
    void inject(byte[] packet) {
        byte[] trailed = Arrays.copyOf(packet, Math.max(packet.length, Math.min(packet.length + 8, 1500)));
        h.wireB.inject(Frames.eth(MAC_B, MAC_A, EthernetFrame.TYPE_IPV6, trailed));
    }

    /**
     * B's one ICMPv6 message of {@code type}, as an IPv6 packet, after checking what every
     * error must be: from B to A, a right checksum, a payload length that matches, at most
     * 1,280 octets, and carrying {@code invoking}'s first octets, as many as fit.
     */
    byte[] theErrorQuoting(byte[] invoking, int type) {
        List<byte[]> sent = fromB.sent(f -> Frames.etherType(f) == EthernetFrame.TYPE_IPV6
                && f[EthernetFrame.HEADER_LEN + Ipv6Header.NEXT_HEADER] == Ipv6Header.NH_ICMPV6
                && (f[EthernetFrame.HEADER_LEN + Ipv6Header.LENGTH] & 0xff) == type);
        assertEquals(1, sent.size(), "one ICMPv6 type " + type + " from B");
        byte[] e = Arrays.copyOfRange(sent.get(0), EthernetFrame.HEADER_LEN, sent.get(0).length);
        ByteBuffer b = ByteBuffer.wrap(e);
        int quoted = Math.min(invoking.length, MAX_QUOTE);
        assertEquals(Ipv6Header.LENGTH + Icmpv6.HEADER_LEN + quoted, e.length, "the whole error");
        assertEquals(e.length - Ipv6Header.LENGTH, b.getShort(Ipv6Header.PAYLOAD_LENGTH) & 0xffff, "payload length");
        assertEquals(G_B.hi(), b.getLong(Ipv6Header.SRC));
        assertEquals(G_B.lo(), b.getLong(Ipv6Header.SRC + 8));
        assertEquals(G_A.lo(), b.getLong(Ipv6Header.DST + 8));
        int len = e.length - Ipv6Header.LENGTH;
        assertEquals(0, Checksum.finish(Checksum.add(Checksum.pseudoV6(G_B.hi(), G_B.lo(), G_A.hi(), G_A.lo(),
                Ipv6Header.NH_ICMPV6, len), b, Ipv6Header.LENGTH, len)), "ICMPv6 checksum (RFC 4443 §2.3)");
        assertArrayEquals(Arrays.copyOf(invoking, quoted),
                Arrays.copyOfRange(e, Ipv6Header.LENGTH + Icmpv6.HEADER_LEN, e.length), "the quoted octets");
        return e;
    }

    @ParameterizedTest(name = "{0} octets of UDP data")
    @ValueSource(ints = {0, 3, 1184, 1185, 1400, 1452})
    void portUnreachableQuotesAsMuchAsFitsIn1280Octets_rfc4443s24c(int size) {
        byte[] udp = Frames.udp6(G_A.hi(), G_A.lo(), G_B.hi(), G_B.lo(), 40000, 9, Frames.pattern(size, size), -1);
        byte[] invoking = packet(Ipv6Header.NH_UDP, udp);
        inject(invoking);
        h.settle();
        byte[] e = theErrorQuoting(invoking, Icmpv6.DEST_UNREACHABLE);
        assertEquals(Icmpv6.UNREACH_PORT, e[Ipv6Header.LENGTH + Icmpv6.CODE], "code 4, port unreachable (§3.1)");
        // 1184 octets of data make a 1232-octet packet, the largest quoted whole
        assertEquals(size <= 1184 ? Ipv6Header.LENGTH + Icmpv6.HEADER_LEN + invoking.length : 1280, e.length);
    }

    @Test
    void parameterProblemAboutALongPacketIs1280Octets_rfc4443s24c() {
        byte[] invoking = packet(253, Frames.pattern(1400, 9));
        inject(invoking);
        h.settle();
        byte[] e = theErrorQuoting(invoking, Icmpv6.PARAMETER_PROBLEM);
        assertEquals(1280, e.length);
        assertEquals(Icmpv6.PARAM_NEXT_HEADER, e[Ipv6Header.LENGTH + Icmpv6.CODE]);
        assertEquals(Ipv6Header.NEXT_HEADER, ByteBuffer.wrap(e).getInt(Ipv6Header.LENGTH + Icmpv6.REST), "pointer (§3.4)");
    }

    @Test
    void reassemblyTimeoutQuotesTheFirstFragmentAsFarAsItFits_rfc4443s24c_rfc8200s45() {
        byte[] frag = new byte[Ipv6FragmentHeader.LENGTH + 1400];
        Ipv6FragmentHeader.emit(ByteBuffer.wrap(frag), 0, 253, 0, true, 0x1234);
        System.arraycopy(Frames.pattern(1400, 3), 0, frag, Ipv6FragmentHeader.LENGTH, 1400);
        byte[] invoking = packet(Ipv6Header.NH_FRAGMENT, frag);
        inject(invoking);
        h.settle();
        h.run(h.b.config().ipv6ReassemblyTimeoutNanos + 1_000_000_000L, 500_000_000L);
        byte[] e = theErrorQuoting(invoking, Icmpv6.TIME_EXCEEDED);
        assertEquals(1280, e.length);
        assertEquals(Icmpv6.TIME_EXCEEDED_REASSEMBLY, e[Ipv6Header.LENGTH + Icmpv6.CODE]);
    }

    @Test
    void aShortFirstFragmentIsQuotedWhole_rfc4443s24c() {
        byte[] frag = new byte[Ipv6FragmentHeader.LENGTH + 16];
        Ipv6FragmentHeader.emit(ByteBuffer.wrap(frag), 0, 253, 0, true, 0x4321);
        byte[] invoking = packet(Ipv6Header.NH_FRAGMENT, frag);
        inject(invoking);
        h.settle();
        h.run(h.b.config().ipv6ReassemblyTimeoutNanos + 1_000_000_000L, 500_000_000L);
        assertEquals(Ipv6Header.LENGTH + Icmpv6.HEADER_LEN + invoking.length,
                theErrorQuoting(invoking, Icmpv6.TIME_EXCEEDED).length);
    }
}
