package io.tapstack.ip;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Header;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.tapstack.Frames.MAC_A;
import static io.tapstack.Frames.MAC_B;
import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fragmentation and reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2). */
class Ipv4FragmentTest {
    private static final long SEC = 1_000_000_000L;

    /** A fragment of a datagram from A to B: payload bytes [off, off+len) of {@code payload}. */
    private static byte[] fragment(int ident, int proto, byte[] payload, int off, int len, boolean more) {
        return Frames.ipv4Frame(MAC_B, MAC_A, IP_A, IP_B, proto, 64, ident,
                (off >>> 3) | (more ? Ipv4Header.FLAG_MF : 0), Arrays.copyOfRange(payload, off, off + len));
    }

    /** Splits a payload into fragments of random 8-byte multiples. */
    private static List<byte[]> split(int ident, int proto, byte[] payload, Random r) {
        List<byte[]> l = new ArrayList<>();
        int off = 0;
        while (off < payload.length) {
            int len = Math.min(payload.length - off, 8 * (1 + r.nextInt(100)));
            l.add(fragment(ident, proto, payload, off, len, off + len < payload.length));
            off += len;
        }
        return l;
    }

    private static TwoHosts resolved() {
        return resolved(c -> {
        });
    }

    private static TwoHosts resolved(java.util.function.Consumer<io.tapstack.context.StackConfig> tweak) {
        TwoHosts h = new TwoHosts(1500, -1, tweak);
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]);
        h.settle();
        return h;
    }

    private static void assertReleased(TwoHosts h) {
        assertEquals(0, h.b.ipv4().reassembler().inProgress());
        assertEquals(0, h.b.ipv4().reassembler().bytesHeld());
        assertEquals(0, h.b.memory().used(MemoryBudget.Kind.REASSEMBLY), "the memory budget got it all back");
        assertEquals(h.b.pool().totalSmall(), h.b.pool().availableSmall());
        assertEquals(h.b.pool().totalLarge(), h.b.pool().availableLarge());
    }

    private static long ip(TwoHosts h, Ipv4Counter c) {
        return h.b.ipv4().counters().get(c);
    }

    @Test
    void outputFragmentsA4000BytePing_rfc791s32() {
        TwoHosts h = resolved();
        Frames.Recorder rec = new Frames.Recorder();
        h.a.setFrameTap(rec);
        List<byte[]> got = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> {
            byte[] d = new byte[len];
            buf.get(off, d);
            got.add(d);
        });
        byte[] data = Frames.pattern(4000, 9);
        h.a.icmp().sendEchoRequest(IP_B, 0x99, 3, data);
        h.settle();
        List<byte[]> frags = rec.sentIpv4();
        assertEquals(3, frags.size());
        int[] lens = {1480, 1480, 1048};
        int ident = -1;
        int total = 0;
        for (int i = 0; i < 3; i++) {
            byte[] f = frags.get(i);
            Ipv4Header ip = new Ipv4Header().wrap(ByteBuffer.wrap(f), 14, f.length - 14);
            assertEquals(Ipv4Header.Error.NONE, ip.check(true));
            assertTrue(ip.totalLength() <= 1500);
            assertEquals(lens[i], ip.payloadLength(), "fragment " + i);
            assertEquals(total, ip.fragmentOffset());
            assertEquals(i < 2, ip.moreFragments());
            assertFalse(ip.dontFragment());
            if (i < 2) {
                assertEquals(0, ip.payloadLength() % 8, "all but the last carry multiples of 8");
            }
            if (ident < 0) {
                ident = ip.ident();
            }
            assertEquals(ident, ip.ident());
            total += ip.payloadLength();
        }
        assertEquals(4008, total);
        assertEquals(1, h.a.ipv4().counters().get(Ipv4Counter.TX_FRAGMENTED));
        assertEquals(3, h.a.ipv4().counters().get(Ipv4Counter.TX_FRAGMENTS_CREATED));
        assertEquals(1, got.size());
        assertArrayEquals(data, got.get(0));
        assertReleased(h);
    }

    @Test
    void fragmentsAreMultiplesOf8EvenWhenTheMtuIsNot_rfc791s32() {
        // MTU 1006: 986 bytes of room, but fragments must carry 984 (a multiple of 8)
        TwoHosts h = new TwoHosts(1006, -1);
        Frames.Recorder rec = new Frames.Recorder();
        h.a.setFrameTap(rec);
        int[] replies = {0};
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> replies[0]++);
        h.a.icmp().sendEchoRequest(IP_B, 1, 2, Frames.pattern(3000, 1));
        h.settle();
        List<byte[]> frags = rec.sentIpv4().stream()
                .filter(f -> new Ipv4Header().wrap(ByteBuffer.wrap(f), 14, f.length - 14).isFragment()).toList();
        assertEquals(4, frags.size(), "3008 bytes in 984 + 984 + 984 + 56");
        for (byte[] f : frags) {
            Ipv4Header ip = new Ipv4Header().wrap(ByteBuffer.wrap(f), 14, f.length - 14);
            assertTrue(ip.totalLength() <= 1006);
            assertEquals(0, ip.fragmentOffset() % 8);
            if (ip.moreFragments()) {
                assertEquals(984, ip.payloadLength());
            }
        }
        assertEquals(1, replies[0], "and B reassembles them");
    }

    @Test
    void dontFragmentTooBigIsRefused_rfc1191() {
        TwoHosts h = resolved();
        PacketBuf p = h.a.allocate(2000);
        p.append(2000);
        assertEquals(Ipv4.Result.TOO_BIG, h.a.ipv4().output(p, 0, IP_B, 253, 64, 0, true));
        assertEquals(1, h.a.ipv4().counters().get(Ipv4Counter.DROP_DF_TOO_BIG));
        PacketBuf q = h.a.allocate(1480);
        q.append(1480);
        assertEquals(Ipv4.Result.OK, h.a.ipv4().output(q, 0, IP_B, 253, 64, 0, true), "exactly the MTU fits");
    }

    @Test
    void reassemblyInAnyOrder() {
        for (long seed = 1; seed <= 25; seed++) {
            TwoHosts h = resolved();
            List<byte[]> got = new ArrayList<>();
            h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> {
                byte[] d = new byte[len];
                buf.get(off, d);
                got.add(d);
            });
            Random r = new Random(seed);
            byte[] data = Frames.pattern(1000 + r.nextInt(8000), (int) seed);
            List<byte[]> frags = split(0x4000 + (int) seed, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 6, data), r);
            Collections.shuffle(frags, r);
            for (byte[] f : frags) {
                h.wireB.inject(f);
            }
            h.settle();
            assertEquals(1, got.size(), "seed " + seed);
            assertArrayEquals(data, got.get(0), "seed " + seed);
            assertEquals(1, ip(h, Ipv4Counter.REASSEMBLED));
            assertReleased(h);
        }
    }

    @Test
    void reassemblyIsChargedToTheMemoryBudgetAndRefusedAtItsLimit() {
        TwoHosts h = resolved();
        int[] replies = {0};
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> replies[0]++);
        MemoryBudget m = h.b.memory();
        List<byte[]> frags = split(0x900, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 6, Frames.pattern(3000, 3)), new Random(3));
        h.wireB.inject(frags.get(0));
        h.settle();
        assertTrue(m.used(MemoryBudget.Kind.REASSEMBLY) >= FragmentBuffer.INITIAL_BYTES, "held while incomplete");
        for (byte[] f : frags.subList(1, frags.size())) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(1, replies[0]);
        assertReleased(h);

        long filler = m.limit() - m.used(); // another consumer holds the rest of the budget
        m.charge(MemoryBudget.Kind.RINGS, filler);
        List<byte[]> next = split(0x901, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 7, Frames.pattern(3000, 4)), new Random(4));
        for (byte[] f : next) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(1, replies[0], "refused at the limit");
        assertEquals(next.size(), h.b.stats().get("mem.drop_reassembly"));
        assertReleased(h);
        m.release(MemoryBudget.Kind.RINGS, filler);
        for (byte[] f : next) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(2, replies[0], "accepted again below the limit");
        assertReleased(h);
    }

    @Test
    void exactDuplicatesAreTolerated() {
        TwoHosts h = resolved();
        int[] replies = {0};
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> replies[0]++);
        Random r = new Random(11);
        List<byte[]> frags = split(0x777, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 6, Frames.pattern(3000, 2)), r);
        // every fragment but the last twice, shuffled, then the last: the datagram completes at the very end
        List<byte[]> twice = new ArrayList<>(frags.subList(0, frags.size() - 1));
        twice.addAll(frags.subList(0, frags.size() - 1));
        Collections.shuffle(twice, r);
        twice.add(frags.get(frags.size() - 1));
        for (byte[] f : twice) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(1, replies[0]);
        assertEquals(frags.size() - 1, ip(h, Ipv4Counter.DROP_FRAG_DUPLICATE));
        assertReleased(h);
    }

    @Test
    void overlapDropsTheDatagram_rfc5722Style() {
        TwoHosts h = resolved();
        int[] replies = {0};
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> replies[0]++);
        byte[] payload = Frames.echoRequest(5, 6, Frames.pattern(2000, 4));
        h.wireB.inject(fragment(9, 1, payload, 0, 1000, true));
        byte[] evil = payload.clone();
        evil[1000] ^= 0x55;
        h.wireB.inject(fragment(9, 1, evil, 992, 1016 - 992 + 8, true)); // overlaps [992,1000) and differs later
        h.wireB.inject(fragment(9, 1, payload, 1000, payload.length - 1000, false));
        h.settle();
        assertEquals(0, replies[0]);
        assertEquals(1, ip(h, Ipv4Counter.DROP_FRAG_OVERLAP));
        // the remaining fragment started a new datagram that will time out; let it
        h.run(31 * SEC, SEC);
        assertReleased(h);
    }

    @Test
    void oversizeDatagramIsDropped_pingOfDeath() {
        TwoHosts h = resolved();
        byte[] p = new byte[65528 + 16];
        h.wireB.inject(fragment(10, 1, p, 65528, 16, false)); // ends at 65544 > 65535 - 20
        h.wireB.inject(fragment(10, 1, p, 65504, 8, true)); // ends at 65512, + 20 header = 65532: ok
        h.settle();
        assertEquals(1, ip(h, Ipv4Counter.DROP_FRAG_OVERSIZE));
        assertEquals(1, h.b.ipv4().reassembler().inProgress());
        h.run(31 * SEC, SEC);
        assertReleased(h);
    }

    @Test
    void badFragmentLengthsAreDropped() {
        TwoHosts h = resolved();
        byte[] p = Frames.pattern(100, 1);
        h.wireB.inject(fragment(11, 1, p, 0, 12, true)); // MF with a length that is not a multiple of 8
        h.wireB.inject(fragment(12, 1, p, 8, 0, true)); // empty
        h.settle();
        assertEquals(2, ip(h, Ipv4Counter.DROP_FRAG_BAD_LENGTH));
        // a fragment beyond the end set by the last fragment
        h.wireB.inject(fragment(13, 1, p, 40, 8, false));
        h.wireB.inject(fragment(13, 1, p, 48, 16, true));
        h.settle();
        assertEquals(3, ip(h, Ipv4Counter.DROP_FRAG_BAD_LENGTH));
        assertReleased(h);
    }

    /** ICMP Time Exceeded messages B sent. */
    private static List<byte[]> timeExceeded(Frames.Recorder rec) {
        return rec.sentIcmp(Icmpv4.TIME_EXCEEDED);
    }

    @Test
    void missingLastFragmentTimesOutWithTimeExceeded_rfc1122s332() {
        TwoHosts h = resolved();
        Frames.Recorder rec = new Frames.Recorder();
        h.b.setFrameTap(rec);
        byte[] payload = Frames.echoRequest(5, 6, Frames.pattern(3000, 4));
        byte[] first = fragment(20, 1, payload, 0, 1480, true);
        h.wireB.inject(first);
        h.wireB.inject(fragment(20, 1, payload, 1480, 1480, true));
        h.settle();
        assertEquals(1, h.b.ipv4().reassembler().inProgress());
        assertTrue(h.b.ipv4().reassembler().bytesHeld() > 0);
        long timeout = h.b.config().reassemblyTimeoutNanos;
        h.run(timeout - SEC, 100_000_000L);
        assertEquals(1, h.b.ipv4().reassembler().inProgress(), "still waiting just before the timeout");
        assertTrue(timeExceeded(rec).isEmpty());
        h.run(SEC + 1, 100_000_000L);
        assertEquals(1, ip(h, Ipv4Counter.REASSEMBLY_TIMEOUT));
        List<byte[]> te = timeExceeded(rec);
        assertEquals(1, te.size());
        byte[] m = te.get(0);
        Ipv4Header ip = new Ipv4Header().wrap(ByteBuffer.wrap(m), 14, m.length - 14);
        assertEquals(IP_B, ip.src());
        assertEquals(IP_A, ip.dst());
        Icmpv4 icmp = new Icmpv4().wrap(ByteBuffer.wrap(m), ip.payloadOffset(), ip.payloadLength());
        assertEquals(Icmpv4.Error.NONE, icmp.check(true));
        assertEquals(Icmpv4.TIME_EXCEEDED_REASSEMBLY, icmp.code());
        // the quote begins with the first fragment's header and 8 bytes of its data (IcmpErrorQuoteTest: up to 548)
        assertArrayEquals(Arrays.copyOfRange(first, 14, 14 + 28), Arrays.copyOfRange(m, icmp.dataOffset(), icmp.dataOffset() + 28));
        assertReleased(h);
    }

    @Test
    void noTimeExceededWithoutTheFirstFragment_rfc792() {
        TwoHosts h = resolved();
        Frames.Recorder rec = new Frames.Recorder();
        h.b.setFrameTap(rec);
        byte[] payload = Frames.echoRequest(5, 6, Frames.pattern(3000, 4));
        h.wireB.inject(fragment(21, 1, payload, 1480, 1480, true));
        h.wireB.inject(fragment(21, 1, payload, 2960, payload.length - 2960, false));
        h.settle();
        h.run(h.b.config().reassemblyTimeoutNanos + SEC, SEC);
        assertEquals(1, ip(h, Ipv4Counter.REASSEMBLY_TIMEOUT));
        assertTrue(timeExceeded(rec).isEmpty());
        assertReleased(h);
    }

    @Test
    void boundOnDatagramsUnderReassembly() {
        TwoHosts h = resolved(c -> c.reassemblyMaxDatagrams = 4);
        byte[] p = Frames.pattern(64, 1);
        for (int id = 0; id < 6; id++) {
            h.wireB.inject(fragment(100 + id, 1, p, 0, 16, true));
        }
        h.settle();
        assertEquals(4, h.b.ipv4().reassembler().inProgress());
        // the two oldest gave way to the two newest (RFC 8900 §3.7)
        assertEquals(2, ip(h, Ipv4Counter.DROP_FRAG_EVICTED));
        assertEquals(0, ip(h, Ipv4Counter.DROP_FRAG_LIMIT));
        h.run(31 * SEC, SEC);
        assertEquals(4, ip(h, Ipv4Counter.REASSEMBLY_TIMEOUT), "only the four kept timed out");
        assertReleased(h);
    }

    /**
     * A flood of first fragments that never complete (RFC 8900 §3.7) fills every slot; a
     * legitimate fragmented ping arriving afterwards is still reassembled and answered, because
     * the oldest incomplete datagram gives way rather than the new one being refused for the
     * 30-second timeout.
     */
    @Test
    void incompleteFragmentFloodDoesNotLockOutALegitimateDatagram_rfc8900s37() {
        TwoHosts h = resolved();
        List<byte[]> got = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> got.add(new byte[len]));
        byte[] junk = Frames.pattern(2000, 9);
        for (int id = 0; id < 1000; id++) {
            h.wireB.inject(fragment(0x1000 + id, Ipv4Header.PROTO_ICMP, junk, 0, 1400, true));
            if (id % 50 == 0) {
                h.settle();
                assertTrue(h.b.ipv4().reassembler().inProgress() <= 64, "datagrams held");
                assertTrue(h.b.ipv4().reassembler().bytesHeld() <= 4 << 20, "bytes held");
            }
        }
        h.settle();
        assertEquals(64, h.b.ipv4().reassembler().inProgress());
        assertEquals(1000 - 64, ip(h, Ipv4Counter.DROP_FRAG_EVICTED));
        byte[] data = Frames.pattern(8000, 3);
        for (byte[] f : split(0x7777, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 6, data), new Random(1))) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(1, got.size(), "the ping got through the flood");
        assertEquals(8000, got.get(0).length);
        assertEquals(1, ip(h, Ipv4Counter.REASSEMBLED));
        h.run(31 * SEC, SEC);
        assertReleased(h);
    }

    /** At the byte bound, datagrams grown large give way to a new one, oldest first. */
    @Test
    void byteBoundEvictsTheOldestToCompleteANewDatagram_rfc8900s37() {
        int max = 64 << 10;
        TwoHosts h = resolved(c -> c.reassemblyMaxBytes = max);
        List<byte[]> got = new ArrayList<>();
        h.a.icmp().setEchoListener((src, id, seq, buf, off, len, now) -> got.add(new byte[len]));
        byte[] big = Frames.pattern(30_000, 4);
        for (int id = 0; id < 6; id++) {
            for (int off = 0; off < 20_000; off += 1480) {
                h.wireB.inject(fragment(0x2000 + id, Ipv4Header.PROTO_ICMP, big, off, 1480, true));
            }
            h.settle();
            assertTrue(h.b.ipv4().reassembler().bytesHeld() <= max, "held " + h.b.ipv4().reassembler().bytesHeld());
        }
        assertTrue(ip(h, Ipv4Counter.DROP_FRAG_EVICTED) >= 3, "evicted " + ip(h, Ipv4Counter.DROP_FRAG_EVICTED));
        byte[] data = Frames.pattern(20_000, 5);
        for (byte[] f : split(0x7778, Ipv4Header.PROTO_ICMP, Frames.echoRequest(5, 7, data), new Random(2))) {
            h.wireB.inject(f);
        }
        h.settle();
        assertEquals(1, got.size(), "the ping was reassembled within the byte bound");
        h.run(31 * SEC, SEC);
        assertReleased(h);
    }

    @Test
    void boundOnBytesUnderReassembly() {
        int max = 16 << 10;
        TwoHosts h = resolved(c -> {
            c.reassemblyMaxBytes = max;
            c.reassemblyMaxDatagrams = 64;
        });
        // one big datagram grows past the limit and is dropped
        byte[] big = Frames.pattern(40_000, 1);
        for (int off = 0; off < 32_000; off += 1480) {
            h.wireB.inject(fragment(200, 1, big, off, 1480, true));
            h.settle();
            assertTrue(h.b.ipv4().reassembler().bytesHeld() <= max, "held " + h.b.ipv4().reassembler().bytesHeld());
        }
        assertTrue(ip(h, Ipv4Counter.DROP_FRAG_LIMIT) >= 1);
        // many small datagrams never exceed the limit either
        byte[] small = Frames.pattern(64, 2);
        for (int id = 0; id < 60; id++) {
            h.wireB.inject(fragment(300 + id, 1, small, 0, 16, true));
            h.settle();
            assertTrue(h.b.ipv4().reassembler().bytesHeld() <= max, "held " + h.b.ipv4().reassembler().bytesHeld()
                    + " after " + (id + 1) + " datagrams");
        }
        h.run(31 * SEC, SEC);
        assertReleased(h);
    }

    @Test
    void boundOnFragmentsPerDatagram() {
        TwoHosts h = resolved(c -> c.reassemblyMaxFragmentsPerDatagram = 4);
        byte[] p = Frames.pattern(80, 1);
        for (int i = 0; i < 5; i++) {
            h.wireB.inject(fragment(400, 1, p, i * 8, 8, true));
        }
        h.settle();
        assertEquals(1, ip(h, Ipv4Counter.DROP_FRAG_TOO_MANY));
        assertReleased(h);
    }

    @Test
    void memoryIsReleasedAfterCompletion() {
        TwoHosts h = resolved();
        Random r = new Random(3);
        for (int round = 0; round < 200; round++) {
            for (byte[] f : split(500 + round, 1, Frames.echoRequest(1, round, Frames.pattern(2000, round)), r)) {
                h.wireB.inject(f);
            }
            h.settle();
        }
        assertEquals(200, ip(h, Ipv4Counter.REASSEMBLED));
        assertReleased(h);
        assertNotNull(h.b.ipv4().reassembler());
        assertEquals(0, h.b.icmp().counters().get(IcmpCounter.DROP_NO_BUFFER));
    }
}
