package io.tapstack.ip;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How much of the invoking datagram an ICMP error carries. RFC 1122 §3.2.2: at least the IP
 * header and 8 octets of data; RFC 1812 §4.3.2.3: as much as possible without the ICMP
 * datagram exceeding 576 octets, which is what Linux sends too. So an error about a long
 * datagram is exactly 576 octets (20 IP + 8 ICMP + 548 quoted) and an error about a short one
 * quotes it whole (not the Ethernet padding after it).
 */
class IcmpErrorQuoteTest {
    /** Octets of the invoking datagram that fit: 576 − 20 − 8. */
    static final int MAX_QUOTE = 548;

    final TwoHosts h = new TwoHosts();
    final Frames.Recorder fromB = new Frames.Recorder();

    IcmpErrorQuoteTest() {
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]); // each has the other's MAC
        h.settle();
        h.b.setFrameTap(fromB);
    }

    /** Puts {@code datagram} on B's wire padded to Ethernet's minimum, or with 8 octets of trailer. */
    void inject(byte[] datagram) {
        byte[] padded = Arrays.copyOf(datagram, Math.max(46, Math.min(datagram.length + 8, Math.max(datagram.length, 1500))));
        h.wireB.inject(Frames.eth(MAC_B, MAC_A, EthernetFrame.TYPE_IPV4, padded));
    }

    /**
     * B's one ICMP message of {@code type}, as an IPv4 datagram, after checking what every error
     * must be: from B to A, right checksums, a total length that matches, at most 576 octets,
     * and carrying {@code invoking}'s first octets, as many as fit.
     */
    byte[] theErrorQuoting(byte[] invoking, int type) {
        List<byte[]> sent = fromB.sentIcmp(type);
        assertEquals(1, sent.size(), "one ICMP type " + type + " from B");
        byte[] e = Arrays.copyOfRange(sent.get(0), EthernetFrame.HEADER_LEN, sent.get(0).length);
        ByteBuffer b = ByteBuffer.wrap(e);
        Ipv4Header ip = new Ipv4Header().wrap(b, 0, e.length);
        int hl = ip.headerLength();
        int quoted = Math.min(invoking.length, MAX_QUOTE);
        assertEquals(Ipv4Header.MIN_LENGTH, hl, "no options");
        assertEquals(hl + Icmpv4.HEADER_LEN + quoted, e.length, "the whole error");
        assertEquals(e.length, ip.totalLength(), "total length");
        assertEquals(IP_B, ip.src());
        assertEquals(IP_A, ip.dst());
        assertEquals(0, Checksum.compute(b, 0, hl), "header checksum");
        assertEquals(0, Checksum.compute(b, hl, e.length - hl), "ICMP checksum (RFC 792)");
        assertArrayEquals(Arrays.copyOf(invoking, quoted),
                Arrays.copyOfRange(e, hl + Icmpv4.HEADER_LEN, e.length), "the quoted octets");
        return e;
    }

    @ParameterizedTest(name = "{0} octets of UDP data")
    @ValueSource(ints = {0, 3, 520, 521, 1400, 1472})
    void portUnreachableQuotesAsMuchAsFitsIn576Octets_rfc1812s4323(int size) {
        byte[] udp = Frames.udp4(IP_A, IP_B, 40000, 9, Frames.pattern(size, size), -1);
        byte[] invoking = Frames.ipv4(IP_A, IP_B, Ipv4Header.PROTO_UDP, 64, 7, 0, udp);
        inject(invoking);
        h.settle();
        byte[] e = theErrorQuoting(invoking, Icmpv4.DEST_UNREACHABLE);
        assertEquals(Icmpv4.UNREACH_PORT, e[Ipv4Header.MIN_LENGTH + 1], "code 3, port unreachable");
        // 520 octets of data make a 548-octet datagram, the largest quoted whole
        assertEquals(size <= 520 ? Ipv4Header.MIN_LENGTH + Icmpv4.HEADER_LEN + invoking.length : 576, e.length);
    }

    @Test
    void protocolUnreachableAboutALongDatagramIs576Octets_rfc1812s4323() {
        byte[] invoking = Frames.ipv4(IP_A, IP_B, 253, 64, 8, 0, Frames.pattern(1400, 9));
        inject(invoking);
        h.settle();
        byte[] e = theErrorQuoting(invoking, Icmpv4.DEST_UNREACHABLE);
        assertEquals(576, e.length);
        assertEquals(Icmpv4.UNREACH_PROTOCOL, e[Ipv4Header.MIN_LENGTH + 1]);
    }

    @ParameterizedTest(name = "{0} octets in the first fragment")
    @ValueSource(ints = {16, 1400})
    void reassemblyTimeoutQuotesTheFirstFragmentAsFarAsItFits_rfc1812s4323(int size) {
        byte[] invoking = Frames.ipv4(IP_A, IP_B, 253, 64, 9, Ipv4Header.FLAG_MF, Frames.pattern(size, 3));
        inject(invoking);
        h.settle();
        h.run(h.b.config().reassemblyTimeoutNanos + 1_000_000_000L, 500_000_000L);
        byte[] e = theErrorQuoting(invoking, Icmpv4.TIME_EXCEEDED);
        assertEquals(Icmpv4.TIME_EXCEEDED_REASSEMBLY, e[Ipv4Header.MIN_LENGTH + 1]);
        assertEquals(Math.min(576, Ipv4Header.MIN_LENGTH + Icmpv4.HEADER_LEN + invoking.length), e.length);
    }
}
