package io.tapstack.ip6;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6ExtHeader;
import io.tapstack.wire.Ipv6InterfaceAddress;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MLDv2 host behaviour: robustness retransmissions (RFC 3810 §6.1) and randomised query answers (§6.2, §5.1.3). */
class MldTest {
    static final long GROUP_HI = 0xff02_0000_0000_0000L;
    static final long GROUP_LO = 0x1_0003L; // ff02::1:3

    /** An MLDv2 report B sent: when, and its records as {type, group lo}. */
    record Report(long at, List<long[]> records) {
    }

    static List<Report> recordReports(TwoHosts h) {
        List<Report> out = new ArrayList<>();
        h.b.setFrameTap((buf, off, len, wall, outbound) -> {
            if (!outbound || len < 14 + 40 + 8 + 8 || (buf.getShort(off + 12) & 0xffff) != EthernetFrame.TYPE_IPV6
                    || buf.get(off + 14 + 6) != 0 || (buf.get(off + 62) & 0xff) != Icmpv6.MLD_REPORT_V2) {
                return;
            }
            int m = off + 62;
            int n = buf.getShort(m + 6) & 0xffff;
            List<long[]> recs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int r = m + 8 + 20 * i;
                recs.add(new long[] {buf.get(r) & 0xff, buf.getLong(r + 12)});
            }
            out.add(new Report(h.clock.nanos(), recs));
        });
        return out;
    }

    static TwoHosts host(long seed) {
        TwoHosts h = new TwoHosts(1500, -1, c -> c.seed = seed);
        h.b.config().ipv6.add(Ipv6InterfaceAddress.parse("2001:db8::2/64"));
        h.run(10_000_000_000L, 10_000_000L);
        return h;
    }

    @Test
    void aJoinIsReportedRobustnessTimesWithinTheUnsolicitedReportInterval_rfc3810s61() {
        TwoHosts h = host(1);
        List<Report> reps = recordReports(h);
        long t0 = h.clock.nanos();
        h.b.ndp().joinGroup(GROUP_HI, GROUP_LO);
        h.run(5_000_000_000L, 10_000_000L);
        List<Report> mine = reps.stream().filter(r -> r.records().stream().anyMatch(x -> x[1] == GROUP_LO)).toList();
        assertEquals(Ndp.MLD_ROBUSTNESS, mine.size(), "the State Change Report and Robustness − 1 retransmissions");
        assertEquals(t0, mine.get(0).at(), "the first at once");
        long gap = mine.get(1).at() - mine.get(0).at();
        assertTrue(gap > 0 && gap <= Ndp.MLD_UNSOLICITED_REPORT_INTERVAL + 10_000_000L, "retransmitted within (0, 1 s]: " + gap);
        for (Report r : mine) {
            assertEquals(4, r.records().get(0)[0], "CHANGE_TO_EXCLUDE_MODE");
        }
        // leaving: CHANGE_TO_INCLUDE_MODE, twice as well
        reps.clear();
        h.b.ndp().leaveGroup(GROUP_HI, GROUP_LO);
        h.run(5_000_000_000L, 10_000_000L);
        List<Report> left = reps.stream().filter(r -> r.records().stream().anyMatch(x -> x[1] == GROUP_LO && x[0] == 3)).toList();
        assertEquals(Ndp.MLD_ROBUSTNESS, left.size());
        assertTrue(h.b.ndp().counters().get(NdpCounter.TX_MLD_RETRANSMIT) >= 2);
    }

    /** An MLDv2 General Query (or one for {@code group}) from a router's link-local address, hop limit 1, Router Alert. */
    static byte[] query(int maxRespCode, long groupHi, long groupLo) {
        long sHi = 0xfe80_0000_0000_0000L;
        long sLo = 1;
        ByteBuffer q = ByteBuffer.allocate(8 + 28);
        Ipv6ExtHeader.emitRouterAlert(q, 0, 58, 0);
        q.put(8, (byte) Icmpv6.MLD_QUERY);
        q.putShort(8 + 4, (short) maxRespCode);
        q.putLong(8 + 8, groupHi);
        q.putLong(8 + 16, groupLo);
        q.put(8 + 24, (byte) 2); // QRV 2
        q.put(8 + 25, (byte) 125); // QQIC
        ByteBuffer icmp = q.slice(8, 28);
        long dHi = groupHi == 0 ? 0xff02_0000_0000_0000L : groupHi;
        long dLo = groupHi == 0 ? 1 : groupLo;
        icmp.putShort(2, (short) Checksum.finish(Checksum.add(Checksum.pseudoV6(sHi, sLo, dHi, dLo, 58, 28), icmp, 0, 28)));
        return Frames.ipv6(0x3333_0000_0000L | (dLo & 0xffff_ffffL), 0x020000000001L, sHi, sLo, dHi, dLo, 0, 1, q.array());
    }

    @Test
    void queriesAreAnsweredAfterARandomDelayWithinMaxResponseDelay_rfc3810s62() {
        Set<Long> delays = new HashSet<>();
        for (long seed = 1; seed <= 5; seed++) {
            TwoHosts h = host(seed);
            List<Report> reps = recordReports(h);
            long t0 = h.clock.nanos();
            h.wireB.inject(query(2000, 0, 0)); // 2 s
            h.settle();
            assertEquals(0, reps.size(), "not answered at once");
            // a second General Query while the answer is pending: still one answer (§6.2 rule 1)
            h.wireB.inject(query(2000, 0, 0));
            h.run(2_100_000_000L, 1_000_000L);
            assertEquals(1, reps.size(), "one answer per interface timer: " + reps.size());
            long d = reps.get(0).at() - t0;
            assertTrue(d >= 0 && d <= 2_000_000_000L + 1_000_000L, "within Maximum Response Delay: " + d);
            assertEquals(2, reps.get(0).records().get(0)[0], "MODE_IS_EXCLUDE");
            delays.add(d / 1_000_000L);
            // a Multicast Address Specific Query for a group we are not in: no answer
            h.wireB.inject(query(1000, GROUP_HI, GROUP_LO));
            h.run(1_100_000_000L, 1_000_000L);
            assertEquals(1, reps.size());
            // ...and for one we are in: that group alone
            h.b.ndp().joinGroup(GROUP_HI, GROUP_LO);
            h.run(3_000_000_000L, 10_000_000L);
            reps.clear();
            h.wireB.inject(query(1000, GROUP_HI, GROUP_LO));
            h.run(1_100_000_000L, 1_000_000L);
            assertEquals(1, reps.size());
            assertEquals(1, reps.get(0).records().size());
            assertEquals(GROUP_LO, reps.get(0).records().get(0)[1]);
        }
        assertTrue(delays.size() >= 3, "the delays are random: " + delays);
    }

    @Test
    void maximumResponseCodeDecoding_rfc3810s513() {
        assertEquals(10_000, Ndp.maxResponseDelayMs(10_000));
        assertEquals(32_767, Ndp.maxResponseDelayMs(32_767));
        assertEquals(32_768, Ndp.maxResponseDelayMs(0x8000)); // mant 0, exp 0: 0x1000 << 3
        assertEquals(8_387_584, Ndp.maxResponseDelayMs(0xffff)); // the largest, per §5.1.3
    }
}
