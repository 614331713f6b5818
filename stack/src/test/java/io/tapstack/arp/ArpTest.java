package io.tapstack.arp;

import io.tapstack.Frames;
import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.wire.ArpPacket;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.MacAddress;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.Frames.BROADCAST;
import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ARP (RFC 826) with the host requirements of RFC 1122 §2.3.2, on two stacks and virtual time. */
class ArpTest {
    private static final long SEC = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final int NOBODY = 0x0a000063; // 10.0.0.99

    /** One ARP frame as sent, with the time it was sent. */
    record Sent(long at, long ethDst, int op, long sha, int spa, long tha, int tpa) {
    }

    /** Records the ARP frames a stack sends, with the virtual time. */
    static List<Sent> recordArp(TwoHosts h, NetStack s) {
        List<Sent> l = new ArrayList<>();
        s.setFrameTap((buf, off, len, wall, outbound) -> {
            if (!outbound || (buf.getShort(off + 12) & 0xffff) != EthernetFrame.TYPE_ARP) {
                return;
            }
            ArpPacket a = new ArpPacket().wrap(buf, off + 14, len - 14);
            assertEquals(ArpPacket.Error.NONE, a.check(), "we only send valid ARP");
            l.add(new Sent(h.clock.nanos(), MacAddress.read(buf, off), a.operation(), a.senderMac(), a.senderIp(),
                    a.targetMac(), a.targetIp()));
        });
        return l;
    }

    static List<Sent> requestsFor(List<Sent> l, int tpa) {
        return l.stream().filter(s -> s.op == ArpPacket.OP_REQUEST && s.tpa == tpa && s.spa != s.tpa).toList();
    }

    static Arp.Entry entry(NetStack s, int ip) {
        return s.arp().entries().stream().filter(e -> e.ip() == ip).findFirst().orElse(null);
    }

    static long count(NetStack s, ArpCounter c) {
        return s.arp().counters().get(c);
    }

    /** Every buffer is back in the pool (nothing leaked or held). */
    static void assertNoLeak(NetStack s) {
        assertEquals(s.pool().totalSmall(), s.pool().availableSmall(), "small buffers leaked");
        assertEquals(s.pool().totalLarge(), s.pool().availableLarge(), "large buffers leaked");
    }

    private static void ping(NetStack s, int dst, int seq) {
        assertTrue(s.icmp().sendEchoRequest(dst, 0x77, seq, new byte[8]));
    }

    @Test
    void requestAndReplyLearnBothWays_rfc826() {
        TwoHosts h = new TwoHosts();
        List<Sent> fromA = recordArp(h, h.a);
        List<Sent> fromB = recordArp(h, h.b);
        ping(h.a, IP_B, 1);
        h.settle();
        List<Sent> req = requestsFor(fromA, IP_B);
        assertEquals(1, req.size());
        assertEquals(new Sent(req.get(0).at, BROADCAST, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_B), req.get(0));
        List<Sent> rep = fromB.stream().filter(s -> s.op == ArpPacket.OP_REPLY).toList();
        assertEquals(1, rep.size());
        assertEquals(new Sent(rep.get(0).at, MAC_A, ArpPacket.OP_REPLY, MAC_B, IP_B, MAC_A, IP_A), rep.get(0), "unicast reply");
        assertEquals(MAC_B, h.a.arp().lookup(IP_B));
        assertEquals(MAC_A, h.b.arp().lookup(IP_A), "the target learns the requester (RFC 826 'merge' + add)");
        assertEquals(Arp.State.REACHABLE, entry(h.a, IP_B).state());
        assertEquals(1, count(h.a, ArpCounter.LEARNED));
        assertEquals(1, count(h.b, ArpCounter.LEARNED));
        assertEquals(1, count(h.b, ArpCounter.TX_REPLY));
        // and B answers A's ping without asking: it learnt A from the request
        assertTrue(requestsFor(fromB, IP_A).isEmpty());
        assertEquals(1, h.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.RX_ECHO_REPLY));
        assertNoLeak(h.a);
        assertNoLeak(h.b);
    }

    @Test
    void pendingPacketsAreSentInOrderAfterResolution_rfc1122s23222() {
        TwoHosts h = new TwoHosts();
        List<Integer> seqs = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> seqs.add(seq));
        for (int i = 1; i <= 6; i++) {
            ping(h.a, IP_B, i);
        }
        assertEquals(-1, h.a.arp().lookup(IP_B));
        h.settle();
        assertEquals(List.of(1, 2, 3, 4, 5, 6), seqs);
        assertEquals(0, count(h.a, ArpCounter.DROP_PENDING_FULL));
        assertNoLeak(h.a);
    }

    @Test
    void atMostOneRequestPerSecondThenGiveUp_rfc1122s23221() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromA = recordArp(h, h.a);
        long t0 = h.clock.nanos();
        ping(h.a, NOBODY, 1);
        ping(h.a, NOBODY, 2);
        h.run(2900 * MS, 50 * MS);
        List<Sent> req = requestsFor(fromA, NOBODY);
        assertEquals(3, req.size(), "arpMaxProbes requests");
        for (int i = 0; i < req.size(); i++) {
            assertEquals(BROADCAST, req.get(i).ethDst);
            assertEquals(t0 + i * SEC, req.get(i).at, "one per arpRetransmitNanos");
        }
        assertEquals(0, count(h.a, ArpCounter.RESOLUTION_FAILED), "still waiting for the last answer");
        h.run(2 * SEC, 50 * MS);
        assertEquals(3, requestsFor(fromA, NOBODY).size(), "gave up: no fourth request");
        assertEquals(1, count(h.a, ArpCounter.RESOLUTION_FAILED));
        assertEquals(2, count(h.a, ArpCounter.DROP_PENDING_TIMEOUT));
        assertEquals(null, entry(h.a, NOBODY), "entry removed");
        assertNoLeak(h.a);
    }

    @Test
    void continuousTrafficToADeadAddressNeverExceedsOneRequestPerSecond() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromA = recordArp(h, h.a);
        for (int i = 0; i < 200; i++) { // 10 s, a packet every 50 ms
            ping(h.a, NOBODY, i);
            h.run(50 * MS, 50 * MS);
        }
        List<Sent> req = requestsFor(fromA, NOBODY);
        assertTrue(req.size() >= 5, "kept trying: " + req.size());
        for (int i = 1; i < req.size(); i++) {
            assertTrue(req.get(i).at - req.get(i - 1).at >= SEC, "requests " + (i - 1) + " and " + i + " less than 1 s apart");
        }
        assertTrue(count(h.a, ArpCounter.DROP_PENDING_TIMEOUT) + count(h.a, ArpCounter.DROP_PENDING_FULL) > 0);
    }

    @Test
    void pendingQueueBoundPerEntryAndTotal() {
        TwoHosts h = new TwoHosts(1500, -1, c -> {
            c.arpPendingPerEntry = 3;
            c.arpPendingTotal = 5;
        });
        h.settle();
        for (int i = 0; i < 4; i++) {
            ping(h.a, NOBODY, i); // 3 held, 1 over the per-entry bound
        }
        assertEquals(1, count(h.a, ArpCounter.DROP_PENDING_FULL));
        for (int i = 0; i < 3; i++) {
            ping(h.a, NOBODY - 1, i); // 2 fit in the total of 5, 1 over
        }
        assertEquals(2, count(h.a, ArpCounter.DROP_PENDING_FULL));
        h.run(5 * SEC, 100 * MS);
        assertEquals(5, count(h.a, ArpCounter.DROP_PENDING_TIMEOUT));
        assertEquals(2, count(h.a, ArpCounter.RESOLUTION_FAILED));
        // the bound is freed again: new packets are held
        ping(h.a, NOBODY, 9);
        assertEquals(2, count(h.a, ArpCounter.DROP_PENDING_FULL));
        h.run(5 * SEC, 100 * MS);
        assertNoLeak(h.a);
    }

    @Test
    void pendingTotalIsFreedWhenResolved() {
        TwoHosts h = new TwoHosts(1500, -1, c -> {
            c.arpPendingPerEntry = 4;
            c.arpPendingTotal = 4;
        });
        h.settle();
        for (int round = 0; round < 5; round++) {
            // each round resolves a new address of B, filling the whole pending budget
            int addr = 0x0a000032 + round;
            h.b.config().ipv4.add(new io.tapstack.wire.InterfaceAddress(addr, 24));
            for (int i = 0; i < 4; i++) {
                ping(h.a, addr, i);
            }
            h.settle();
            assertEquals(0, count(h.a, ArpCounter.DROP_PENDING_FULL), "round " + round);
            assertEquals(MAC_B, h.a.arp().lookup(addr));
        }
        assertEquals(20, h.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.RX_ECHO_REPLY));
        assertNoLeak(h.a);
    }

    private static void injectRequest(TwoHosts h, long sha, int spa, int tpa) {
        h.wireB.inject(Frames.arpFrame(BROADCAST, sha, ArpPacket.OP_REQUEST, sha, spa, 0, tpa));
    }

    @Test
    void cacheIsBoundedAndEvictsTheOldestResolvedEntry() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpCacheSize = 4);
        h.settle();
        for (int i = 0; i < 6; i++) {
            injectRequest(h, 0x020000000100L + i, 0x0a000010 + i, IP_B);
            h.settle();
            h.clock.advance(SEC);
        }
        List<Arp.Entry> es = h.b.arp().entries();
        assertEquals(4, es.size());
        for (int i = 2; i < 6; i++) {
            assertEquals(0x020000000100L + i, h.b.arp().lookup(0x0a000010 + i), "newest kept");
        }
        assertEquals(-1, h.b.arp().lookup(0x0a000010));
        assertEquals(-1, h.b.arp().lookup(0x0a000011));
        assertEquals(6, count(h.b, ArpCounter.TX_REPLY), "all were answered");
        assertEquals(2, count(h.b, ArpCounter.EVICTED), "the two oldest were evicted, and counted");
        assertNoLeak(h.b);
    }

    /** Eviction follows the last confirmation, not the insertion: a sender heard again is kept. */
    @Test
    void evictionTakesTheLeastRecentlyConfirmedEntry() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpCacheSize = 4);
        h.settle();
        for (int i = 0; i < 4; i++) {
            injectRequest(h, 0x020000000100L + i, 0x0a000010 + i, IP_B);
            h.settle();
            h.clock.advance(SEC);
        }
        injectRequest(h, 0x020000000100L, 0x0a000010, IP_B); // the first sender again: confirmed now
        h.settle();
        h.clock.advance(SEC);
        for (int i = 4; i < 6; i++) {
            injectRequest(h, 0x020000000100L + i, 0x0a000010 + i, IP_B);
            h.settle();
            h.clock.advance(SEC);
        }
        assertEquals(0x020000000100L, h.b.arp().lookup(0x0a000010), "confirmed last, kept");
        assertEquals(-1, h.b.arp().lookup(0x0a000011));
        assertEquals(-1, h.b.arp().lookup(0x0a000012));
        assertEquals(0x020000000103L, h.b.arp().lookup(0x0a000013));
        assertEquals(2, count(h.b, ArpCounter.EVICTED));
        assertEquals(4, h.b.arp().entries().size());
        assertNoLeak(h.b);
    }

    /**
     * Traffic towards many addresses that never answer fills the cache with INCOMPLETE entries;
     * once half of it is being resolved, a new resolution no longer evicts a resolved neighbour:
     * the peer keeps its entry and its traffic flows (it would otherwise be refused until the
     * resolutions time out).
     */
    @Test
    void unresolvedEntriesCannotPushOutResolvedNeighbours() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpCacheSize = 8);
        h.settle();
        ping(h.a, IP_B, 1);
        h.settle();
        long macB = h.a.arp().lookup(IP_B);
        assertTrue(macB != -1, "B resolved");
        for (int i = 0; i < 20; i++) {
            ping(h.a, NOBODY - i, 1);
        }
        assertEquals(8, h.a.arp().entries().size());
        assertEquals(macB, h.a.arp().lookup(IP_B), "the resolved neighbour stays");
        assertEquals(20 - 7, count(h.a, ArpCounter.DROP_CACHE_FULL));
        assertEquals(0, count(h.a, ArpCounter.EVICTED));
        h.run(5 * SEC, 100 * MS);
        assertEquals(macB, h.a.arp().lookup(IP_B));
        assertNoLeak(h.a);
    }

    @Test
    void cacheFullOfUnresolvedEntriesRefusesNewOnes() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpCacheSize = 2);
        h.settle();
        ping(h.a, NOBODY, 1);
        ping(h.a, NOBODY - 1, 1);
        ping(h.a, NOBODY - 2, 1);
        assertEquals(1, count(h.a, ArpCounter.DROP_CACHE_FULL));
        assertEquals(2, h.a.arp().entries().size());
        h.run(5 * SEC, 100 * MS);
        assertNoLeak(h.a);
    }

    @Test
    void entryGoesStaleAndIsRefreshedWithAUnicastRequest_rfc1122s23221() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpReachableNanos = 5 * SEC);
        List<Sent> fromA = recordArp(h, h.a);
        ping(h.a, IP_B, 1);
        h.settle();
        assertEquals(1, requestsFor(fromA, IP_B).size());
        h.run(6 * SEC, 500 * MS);
        assertEquals(1, requestsFor(fromA, IP_B).size(), "no traffic, no refresh");
        long updatedBefore = count(h.a, ArpCounter.UPDATED);
        ping(h.a, IP_B, 2);
        assertEquals(Arp.State.STALE, entry(h.a, IP_B).state());
        assertEquals(MAC_B, h.a.arp().lookup(IP_B), "a stale entry is still used");
        h.settle();
        List<Sent> req = requestsFor(fromA, IP_B);
        assertEquals(2, req.size());
        assertEquals(MAC_B, req.get(1).ethDst, "the refresh is unicast to the known MAC");
        assertEquals(Arp.State.REACHABLE, entry(h.a, IP_B).state());
        assertEquals(updatedBefore + 1, count(h.a, ArpCounter.UPDATED));
        assertEquals(2, h.a.icmp().counters().get(io.tapstack.ip.IcmpCounter.RX_ECHO_REPLY), "the packet was not held");
    }

    @Test
    void staleEntryWhosePeerIsGoneIsRemovedAfterThreeUnicastProbes() {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.arpReachableNanos = 5 * SEC);
        ping(h.a, IP_B, 1);
        h.settle();
        h.run(6 * SEC, 500 * MS);
        List<Sent> fromA = recordArp(h, h.a);
        ping(h.a, IP_B, 2);
        // B is gone: only A is polled
        for (int i = 0; i < 50; i++) {
            h.a.poll(h.clock.nanos());
            h.clock.advance(100 * MS);
        }
        List<Sent> req = requestsFor(fromA, IP_B);
        assertEquals(3, req.size());
        req.forEach(r -> assertEquals(MAC_B, r.ethDst));
        assertEquals(-1, h.a.arp().lookup(IP_B));
        assertEquals(1, count(h.a, ArpCounter.RESOLUTION_FAILED));
    }

    @Test
    void gratuitousArpOnStart_rfc5227s3() {
        TwoHosts h = new TwoHosts();
        List<Sent> fromA = recordArp(h, h.a);
        h.a.start();
        h.a.start();
        h.a.poll(h.clock.nanos());
        assertEquals(1, fromA.size(), "once, however often start() is called");
        assertEquals(new Sent(fromA.get(0).at, BROADCAST, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_A), fromA.get(0));
        assertEquals(1, count(h.a, ArpCounter.GRATUITOUS_SENT));
        h.settle();
        assertEquals(-1, h.b.arp().lookup(IP_A), "an announcement alone does not create an entry at the peer");
    }

    @Test
    void addressConflictIsCounted_rfc5227s24() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromB = recordArp(h, h.b);
        long intruder = 0x0200000000eeL;
        h.wireB.inject(Frames.arpFrame(BROADCAST, intruder, ArpPacket.OP_REQUEST, intruder, IP_B, 0, IP_B));
        h.wireB.inject(Frames.arpFrame(MAC_B, intruder, ArpPacket.OP_REPLY, intruder, IP_B, MAC_B, IP_A));
        h.settle();
        assertEquals(2, count(h.b, ArpCounter.ADDRESS_CONFLICT));
        assertEquals(-1, h.b.arp().lookup(IP_B));
        assertTrue(fromB.isEmpty(), "not answered");
        // and B still owns its address
        ping(h.a, IP_B, 1);
        h.settle();
        assertEquals(MAC_B, h.a.arp().lookup(IP_B));
    }

    @Test
    void malformedArpIsCountedByReason() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromB = recordArp(h, h.b);
        long rxBefore = count(h.b, ArpCounter.RX);
        byte[] good = Frames.arpFrame(BROADCAST, MAC_A, ArpPacket.OP_REQUEST, MAC_A, IP_A, 0, IP_B);
        h.wireB.inject(java.util.Arrays.copyOf(good, 14 + 27));
        h.wireB.inject(with(good, 14 + ArpPacket.HTYPE, 6, true));
        h.wireB.inject(with(good, 14 + ArpPacket.PTYPE, 0x86dd, true));
        h.wireB.inject(with(good, 14 + ArpPacket.HLEN, 8, false));
        h.wireB.inject(with(good, 14 + ArpPacket.PLEN, 6, false));
        h.wireB.inject(with(good, 14 + ArpPacket.OPER, 3, true));
        h.wireB.inject(with(good, 14 + ArpPacket.SHA, 0x0100, true)); // multicast sender MAC
        h.settle();
        assertEquals(1, count(h.b, ArpCounter.DROP_TRUNCATED));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_HTYPE));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_PTYPE));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_HLEN));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_PLEN));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_OPERATION));
        assertEquals(1, count(h.b, ArpCounter.DROP_BAD_SENDER));
        assertEquals(rxBefore + 7, count(h.b, ArpCounter.RX));
        assertTrue(fromB.isEmpty(), "none answered");
        assertTrue(h.b.arp().entries().isEmpty(), "none learnt");
        assertNoLeak(h.b);
        // the good one is answered
        h.wireB.inject(good);
        h.settle();
        assertEquals(1, fromB.size());
    }

    private static byte[] with(byte[] f, int at, int v, boolean word) {
        byte[] c = f.clone();
        ByteBuffer b = ByteBuffer.wrap(c);
        if (word) {
            b.putShort(at, (short) v);
        } else {
            b.put(at, (byte) v);
        }
        return c;
    }

    @Test
    void requestForAnotherAddressIsNotAnsweredNorLearnt_rfc826() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromB = recordArp(h, h.b);
        injectRequest(h, 0x020000000077L, 0x0a000077, 0x0a000078);
        h.settle();
        assertTrue(fromB.isEmpty());
        assertEquals(0, count(h.b, ArpCounter.TX_REPLY));
        assertEquals(-1, h.b.arp().lookup(0x0a000077), "only the target adds the sender");
    }

    @Test
    void anExistingEntryIsUpdatedFromAnyArpPacket_rfc826Merge() {
        TwoHosts h = new TwoHosts();
        ping(h.a, IP_B, 1);
        h.settle();
        assertEquals(MAC_A, h.b.arp().lookup(IP_A));
        long moved = 0x0200000000aaL;
        // A's address moved to another card; the request is for someone else
        injectRequest(h, moved, IP_A, 0x0a000078);
        h.settle();
        assertEquals(moved, h.b.arp().lookup(IP_A));
        assertEquals(1, count(h.b, ArpCounter.UPDATED));
    }

    @Test
    void broadcastAndMulticastNextHopsNeedNoResolution() {
        TwoHosts h = new TwoHosts();
        h.settle();
        List<Sent> fromA = recordArp(h, h.a);
        Frames.Recorder rec = new Frames.Recorder();
        h.a.setFrameTap(rec);
        ping(h.a, 0x0a0000ff, 1);
        ping(h.a, 0xe0000001, 2);
        h.a.poll(h.clock.nanos());
        assertTrue(fromA.isEmpty() || requestsFor(fromA, 0x0a0000ff).isEmpty());
        List<byte[]> ip = rec.sentIpv4();
        assertEquals(2, ip.size());
        assertEquals(BROADCAST, MacAddress.read(ByteBuffer.wrap(ip.get(0)), 0));
        assertEquals(0x01005e000001L, MacAddress.read(ByteBuffer.wrap(ip.get(1)), 0), "RFC 1112 §6.4 mapping");
        assertFalse(h.a.arp().entries().stream().anyMatch(e -> e.ip() == 0x0a0000ff));
    }
}
