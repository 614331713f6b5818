package io.tapstack.ip;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 1122 §3.2.2.6: Record Route and Timestamp options of an echo request come back in the
 * reply's IP header, updated with this host (RFC 791 option formats); other options do not.
 */
class IcmpEchoOptionsTest {
    private TwoHosts h;
    private Frames.Recorder fromB;

    @BeforeEach
    void setUp() {
        h = new TwoHosts();
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]); // resolve both ways first
        h.settle();
        fromB = new Frames.Recorder();
        h.b.setFrameTap(fromB);
    }

    /** An echo request from A to B with {@code options} (a multiple of 4 bytes) in its IP header. */
    private static byte[] request(byte[] options, int dataLen) {
        byte[] icmp = Frames.echoRequest(0x42, 9, Frames.pattern(dataLen, 3));
        int hl = 20 + options.length;
        ByteBuffer p = ByteBuffer.allocate(hl + icmp.length);
        Ipv4Header.emit(p, 0, 0, hl + icmp.length, 7, 0, 64, Ipv4Header.PROTO_ICMP, IP_A, IP_B);
        p.put(0, (byte) (0x40 | hl / 4));
        p.put(20, options);
        p.put(hl, icmp);
        p.putShort(10, (short) 0);
        p.putShort(10, (short) Checksum.compute(p, 0, hl));
        return Frames.eth(MAC_B, MAC_A, EthernetFrame.TYPE_IPV4, p.array());
    }

    /** The options of the one echo reply B sent, checked for valid IP and ICMP checksums. */
    private byte[] replyOptions(byte[] request) {
        fromB.clear();
        h.wireB.inject(request);
        h.settle();
        List<byte[]> r = fromB.sentIcmp(Icmpv4.ECHO_REPLY);
        assertEquals(1, r.size(), "one echo reply");
        byte[] f = r.get(0);
        ByteBuffer b = ByteBuffer.wrap(f);
        Ipv4Header ip = new Ipv4Header().wrap(b, 14, f.length - 14);
        assertEquals(Ipv4Header.Error.NONE, ip.check(true));
        assertEquals(IP_B, ip.src());
        Icmpv4 icmp = new Icmpv4().wrap(b, ip.payloadOffset(), ip.payloadLength());
        assertEquals(Icmpv4.Error.NONE, icmp.check(true));
        assertEquals(0x42, icmp.id());
        assertEquals(9, icmp.seq());
        return Arrays.copyOfRange(f, 14 + 20, 14 + ip.headerLength());
    }

    @Test
    void recordRouteComesBackWithThisHostAdded_rfc1122s32262() {
        // RR with 9 slots, A's address already recorded (pointer 8), as `ping -R` sends it
        byte[] rr = new byte[40];
        rr[0] = 7;
        rr[1] = 39;
        rr[2] = 8;
        ByteBuffer.wrap(rr).putInt(3, IP_A);
        byte[] got = replyOptions(request(rr, 16));
        assertEquals(40, got.length);
        assertEquals(7, got[0]);
        assertEquals(39, got[1]);
        assertEquals(12, got[2], "pointer moved past our slot");
        assertEquals(IP_A, ByteBuffer.wrap(got).getInt(3));
        assertEquals(IP_B, ByteBuffer.wrap(got).getInt(7), "this host recorded");
        assertEquals(1, h.b.icmp().counters().get(IcmpCounter.TX_ECHO_REPLY_OPTIONS));
        // a full route comes back as it was (RFC 791: no room, nothing recorded)
        byte[] full = {7, 7, 8, 10, 0, 0, 1, 0};
        assertArrayEquals(full, replyOptions(request(full, 0)));
    }

    @Test
    void timestampOptionAllThreeFlagsAndOverflow_rfc791() {
        // flag 0: timestamps only; room for 2
        byte[] ts0 = {68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        byte[] got = replyOptions(request(ts0, 8));
        assertEquals(9, got[2], "one timestamp recorded");
        int ts = ByteBuffer.wrap(got).getInt(4);
        assertTrue(ts < 0, "non-standard time: high-order bit set (RFC 791)");
        // flag 1: address and timestamp
        byte[] ts1 = {68, 20, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        got = replyOptions(request(ts1, 8));
        assertEquals(13, got[2]);
        assertEquals(IP_B, ByteBuffer.wrap(got).getInt(4));
        assertTrue(ByteBuffer.wrap(got).getInt(8) < 0);
        // flag 3: prespecified addresses; ours is first, so our time goes in; A's next is left alone
        ByteBuffer pre = ByteBuffer.allocate(20).put(0, (byte) 68).put(1, (byte) 20).put(2, (byte) 5).put(3, (byte) 3);
        pre.putInt(4, IP_B).putInt(12, IP_A);
        got = replyOptions(request(pre.array(), 8));
        assertEquals(13, got[2]);
        assertTrue(ByteBuffer.wrap(got).getInt(8) != 0);
        assertEquals(0, ByteBuffer.wrap(got).getInt(16));
        // full, flag 0: the overflow count goes up by one
        byte[] fullTs = {68, 8, 9, 0x20, 1, 2, 3, 4};
        got = replyOptions(request(fullTs, 8));
        assertEquals(9, got[2]);
        assertEquals(0x30, got[3] & 0xff, "overflow 2 → 3, flag 0 kept");
    }

    @Test
    void otherOptionsAreNotReturnedAndMalformedListsAreCut() {
        // NOP, a Security-like option (130), then RR: only RR comes back
        byte[] opts = new byte[16];
        opts[0] = 1;
        opts[1] = (byte) 130;
        opts[2] = 4;
        opts[5] = 7;
        opts[6] = 11;
        opts[7] = 4;
        byte[] got = replyOptions(request(opts, 4));
        assertEquals(12, got.length);
        assertEquals(7, got[0]);
        assertEquals(8, got[2]);
        assertEquals(IP_B, ByteBuffer.wrap(got).getInt(3));
        // an option whose length runs past the header: the reply has no options, and it is counted
        byte[] bad = {7, 40, 4, 0};
        assertEquals(0, replyOptions(request(bad, 4)).length);
        assertEquals(1, h.b.icmp().counters().get(IcmpCounter.ECHO_BAD_OPTION));
        // no options: a plain 20-byte header
        assertEquals(0, replyOptions(request(new byte[0], 4)).length);
    }
}
