package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.wire.NdpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 4861 §7.2.6: once an address becomes usable (after DAD, RFC 4862 §5.4) the host announces
 * it with unsolicited Neighbor Advertisements to all-nodes — Override set, Solicited clear, its
 * link-layer address as Target LLA — at most MAX_NEIGHBOR_ADVERTISEMENT (3), at least
 * RetransTimer apart. A neighbour holding a stale entry (the host came back with a new MAC)
 * takes the new address at once.
 */
class UnsolicitedNaTest {
    record Na(long at, long targetLo, int flags, long tlla, long dstMac) {
    }

    @Test
    void anAddressThatBecomesUsableIsAnnouncedThreeTimesRetransTimerApart_rfc4861s726() {
        TwoHosts h = new TwoHosts();
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        List<Na> nas = new ArrayList<>();
        h.b.setFrameTap((buf, off, len, wall, out) -> {
            if (!out || len < 14 + 40 + 32 || (buf.getShort(off + 12) & 0xffff) != EthernetFrame.TYPE_IPV6
                    || buf.get(off + 14 + 6) != 58 || (buf.get(off + 54) & 0xff) != Icmpv6.NEIGHBOR_ADVERTISEMENT) {
                return;
            }
            ByteBuffer b = buf.duplicate();
            int m = off + 54;
            long dst = ((long) b.getShort(off) & 0xffff) << 32 | (b.getInt(off + 2) & 0xffff_ffffL);
            nas.add(new Na(h.clock.nanos(), b.getLong(m + 16), b.get(m + 4) & 0xe0,
                    b.get(m + 24) == NdpOptions.TARGET_LLA ? NdpOptions.lla(b, m + 24) : -1, dst));
        });
        h.run(10_000_000_000L, 50_000_000L);
        List<Na> global = nas.stream().filter(n -> n.targetLo() == 2).toList();
        assertEquals(3, global.size(), "MAX_NEIGHBOR_ADVERTISEMENT announcements of 2001:db8::2: " + nas);
        for (int i = 0; i < global.size(); i++) {
            Na n = global.get(i);
            assertEquals(0x20, n.flags(), "Override set, Solicited and Router clear");
            assertEquals(0x020000000002L, n.tlla(), "our MAC as Target LLA");
            assertEquals(0x3333_0000_0001L, n.dstMac(), "to all-nodes");
            if (i > 0) {
                assertTrue(n.at() - global.get(i - 1).at() >= h.b.ndp().retransTimer(), "RetransTimer apart");
            }
        }
        assertEquals(3, nas.stream().filter(n -> n.targetLo() != 2).count(), "the link-local address too");
        assertEquals(6, h.b.ndp().counters().get(NdpCounter.TX_UNSOLICITED_NA));
    }

    @Test
    void aNeighbourWithAWrongEntryIsCorrectedByTheNextAnnouncement_rfc4861s725() {
        TwoHosts h = new TwoHosts();
        h.a.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::1/64"));
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        IpAddr gb = Ipv6PingTest.G_B;
        IpAddr ga = Ipv6PingTest.G_A;
        h.until(() -> {
            LocalAddress a = h.b.ipv6().find(gb.hi(), gb.lo());
            LocalAddress x = h.a.ipv6().find(ga.hi(), ga.lo());
            return a != null && a.usable() && x != null && x.usable();
        }, 5_000_000_000L, 10_000_000L);
        // A talks to B, so it holds an entry for B
        assertTrue(h.a.icmp6().sendEchoRequest(gb.hi(), gb.lo(), 1, 1, new byte[4]));
        h.settle();
        assertEquals(0x020000000002L, h.a.ndp().neighbor(gb.hi(), gb.lo()).mac());
        // someone claims B's address for another MAC (Override set): A believes it
        long wrong = 0x020000000099L;
        ByteBuffer na = ByteBuffer.allocate(32);
        Icmpv6.emitHeader(na, 0, Icmpv6.NEIGHBOR_ADVERTISEMENT, 0, 0x2000_0000);
        na.putLong(8, gb.hi()).putLong(16, gb.lo());
        NdpOptions.emitLla(na, 24, NdpOptions.TARGET_LLA, wrong);
        Icmpv6.fillChecksum(na, 0, 32, Checksum.pseudoV6(gb.hi(), gb.lo(), ga.hi(), ga.lo(), 58, 32));
        h.wireA.inject(Frames.ipv6(0x020000000001L, wrong, gb.hi(), gb.lo(), ga.hi(), ga.lo(), 58, 255, na.array()));
        h.settle();
        assertEquals(wrong, h.a.ndp().neighbor(gb.hi(), gb.lo()).mac());
        // B's next unsolicited advertisement (within RetransTimer) puts it right
        h.run(1_500_000_000L, 10_000_000L);
        assertEquals(0x020000000002L, h.a.ndp().neighbor(gb.hi(), gb.lo()).mac());
    }
}
