package io.tapstack.ip;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.link.LinkCounter;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.Frames.BROADCAST;
import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv4 input for a host (RFC 791, RFC 1122 §3.2.1), frames injected into B. */
class Ipv4InputTest {
    private TwoHosts h;
    private Frames.Recorder fromB;

    @BeforeEach
    void setUp() {
        h = new TwoHosts();
        // resolve both ways first, so B's answers go straight out
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]);
        h.settle();
        fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
    }

    private long ip(Ipv4Counter c) {
        return h.b.ipv4().counters().get(c);
    }

    private static byte[] echoFrame(int src, int dst, long ethDst, int ttl, int dataLen) {
        return Frames.ipv4Frame(ethDst, MAC_A, src, dst, Ipv4Header.PROTO_ICMP, ttl, 0x1234, 0,
                Frames.echoRequest(0x42, 7, Frames.pattern(dataLen, 1)));
    }

    private void inject(byte[] f) {
        h.wireB.inject(f);
        h.settle();
    }

    private void assertNoLeak() {
        assertEquals(h.b.pool().totalSmall(), h.b.pool().availableSmall());
        assertEquals(h.b.pool().totalLarge(), h.b.pool().availableLarge());
    }

    @Test
    void aValidEchoIsAnswered() {
        inject(echoFrame(IP_A, IP_B, MAC_B, 64, 16));
        assertEquals(1, fromB.sentIcmp(Icmpv4.ECHO_REPLY).size());
        assertEquals(1, ip(Ipv4Counter.RX_DELIVERED) - 1);
    }

    @Test
    void everyHeaderCheckFailureIsCountedByReason_rfc1122s3211() {
        byte[] good = echoFrame(IP_A, IP_B, MAC_B, 64, 16);
        inject(Arrays.copyOf(good, 14 + 19)); // shorter than a header
        byte[] v6 = good.clone();
        v6[14] = 0x65;
        Frames.fixIpChecksum(v6, 14);
        inject(v6);
        byte[] ihl = good.clone();
        ihl[14] = 0x44;
        inject(ihl);
        byte[] ihlLong = good.clone();
        ihlLong[14] = 0x4f; // 60-byte header, 44 bytes of packet
        inject(ihlLong);
        byte[] tlShort = good.clone();
        ByteBuffer.wrap(tlShort).putShort(14 + 2, (short) 19);
        Frames.fixIpChecksum(tlShort, 14);
        inject(tlShort);
        byte[] tlLong = good.clone();
        ByteBuffer.wrap(tlLong).putShort(14 + 2, (short) (good.length - 14 + 1));
        Frames.fixIpChecksum(tlLong, 14);
        inject(tlLong);
        byte[] sum = good.clone();
        sum[14 + 8] = 63; // TTL changed, checksum not
        inject(sum);
        assertEquals(2, ip(Ipv4Counter.DROP_TRUNCATED));
        assertEquals(1, ip(Ipv4Counter.DROP_BAD_VERSION));
        assertEquals(1, ip(Ipv4Counter.DROP_BAD_IHL));
        assertEquals(2, ip(Ipv4Counter.DROP_BAD_TOTAL_LENGTH));
        assertEquals(1, ip(Ipv4Counter.DROP_BAD_CHECKSUM));
        assertTrue(fromB.out.isEmpty(), "nothing answered");
        assertNoLeak();
    }

    @Test
    void martianSourcesAreDropped_rfc1122s3213() {
        int[] martians = {0xe0000005, 0xffffffff, 0xf0000001, 0x7f000001, 0, 0x00000001, 0x0a0000ff};
        for (int src : martians) {
            inject(echoFrame(src, IP_B, MAC_B, 64, 8));
        }
        assertEquals(martians.length, ip(Ipv4Counter.DROP_BAD_SRC_ADDRESS));
        assertTrue(fromB.out.isEmpty());
        assertEquals(0, h.b.icmp().counters().get(IcmpCounter.RX_ECHO_REQUEST) - 1);
    }

    @Test
    void packetsForOtherHostsAreDropped_rfc1122s3311() {
        inject(echoFrame(IP_A, 0x0a000003, MAC_B, 64, 8)); // another host on the link, our MAC
        inject(echoFrame(IP_A, 0x08080808, MAC_B, 64, 8)); // would need forwarding
        inject(echoFrame(IP_A, 0xe0000005, 0x01005e000005L, 64, 8)); // a group we did not join
        assertEquals(3, ip(Ipv4Counter.DROP_NOT_FOR_US));
        inject(echoFrame(IP_A, IP_B, 0x020000000099L, 64, 8)); // our IP, someone else's MAC
        assertEquals(1, h.b.linkStats().get(LinkCounter.DROP_NOT_FOR_US));
        assertTrue(fromB.out.isEmpty());
        assertNoLeak();
    }

    @Test
    void allHostsMulticastIsAccepted_rfc1112s72() {
        h.b.config().icmpEchoBroadcast = true;
        inject(echoFrame(IP_A, 0xe0000001, 0x01005e000001L, 1, 8));
        assertEquals(1, fromB.sentIcmp(Icmpv4.ECHO_REPLY).size());
    }

    @Test
    void ethernetPaddingIsTrimmed() {
        // an echo with no data: 14 + 20 + 8 = 42 bytes, padded with garbage to the 60-byte minimum
        byte[] f = Arrays.copyOf(echoFrame(IP_A, IP_B, MAC_B, 64, 0), 60);
        Arrays.fill(f, 42, 60, (byte) 0xa5);
        inject(f);
        List<byte[]> r = fromB.sentIcmp(Icmpv4.ECHO_REPLY);
        assertEquals(1, r.size());
        byte[] reply = r.get(0);
        assertEquals(42, reply.length, "the reply carries no padding");
        Ipv4Header ip = new Ipv4Header().wrap(ByteBuffer.wrap(reply), 14, reply.length - 14);
        assertEquals(Ipv4Header.Error.NONE, ip.check(true));
        assertEquals(28, ip.totalLength());
        assertEquals(0, Checksum.compute(ByteBuffer.wrap(reply), 34, 8));
    }

    @Test
    void repliesCarryTheConfiguredTtl() {
        inject(echoFrame(IP_A, IP_B, MAC_B, 1, 8)); // TTL 1 is fine for a packet to us
        h.b.config().ttl = 99;
        inject(echoFrame(IP_A, IP_B, MAC_B, 200, 8));
        List<byte[]> r = fromB.sentIcmp(Icmpv4.ECHO_REPLY);
        assertEquals(2, r.size());
        assertEquals(64, r.get(0)[14 + 8] & 0xff);
        assertEquals(99, r.get(1)[14 + 8] & 0xff);
    }

    @Test
    void unknownProtocolGetsProtocolUnreachable_rfc1122s3221() {
        byte[] data = Frames.pattern(100, 3);
        byte[] f = Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, 253, 64, 0x5555, 0, data);
        inject(f);
        assertEquals(1, ip(Ipv4Counter.DROP_UNKNOWN_PROTOCOL));
        List<byte[]> r = fromB.sentIcmp(Icmpv4.DEST_UNREACHABLE);
        assertEquals(1, r.size());
        byte[] u = r.get(0);
        Ipv4Header ip = new Ipv4Header().wrap(ByteBuffer.wrap(u), 14, u.length - 14);
        assertEquals(Ipv4Header.Error.NONE, ip.check(true));
        assertEquals(IP_B, ip.src());
        assertEquals(IP_A, ip.dst());
        Icmpv4 icmp = new Icmpv4().wrap(ByteBuffer.wrap(u), ip.payloadOffset(), ip.payloadLength());
        assertEquals(Icmpv4.Error.NONE, icmp.check(true));
        assertEquals(Icmpv4.UNREACH_PROTOCOL, icmp.code());
        // RFC 792: the quote is the original header and (at least) its first 64 bits of data
        assertTrue(icmp.dataLength() >= 28);
        byte[] quoted = Arrays.copyOfRange(u, icmp.dataOffset(), icmp.dataOffset() + 28);
        assertTrue(Arrays.equals(Arrays.copyOfRange(f, 14, 42), quoted));
        assertNoLeak();
    }

    @Test
    void noProtocolUnreachableForBroadcastDestinations_rfc1122s3222() {
        inject(Frames.ipv4Frame(BROADCAST, MAC_A, IP_A, 0x0a0000ff, 253, 64, 1, 0, new byte[8]));
        inject(Frames.ipv4Frame(BROADCAST, MAC_A, IP_A, 0xffffffff, 253, 64, 2, 0, new byte[8]));
        inject(Frames.ipv4Frame(0x01005e000001L, MAC_A, IP_A, 0xe0000001, 253, 64, 3, 0, new byte[8]));
        assertEquals(3, ip(Ipv4Counter.DROP_UNKNOWN_PROTOCOL));
        assertTrue(fromB.out.isEmpty());
        assertEquals(3, h.b.icmp().counters().get(IcmpCounter.ERRORS_SUPPRESSED));
    }
}
