package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.ip.IpMeta;
import io.tapstack.loop.Timer;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6ExtHeader;
import io.tapstack.wire.Ipv6Header;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The host side of Multicast Listener Discovery version 2 (RFC 3810): the groups the interface
 * joins and leaves are reported in State Change Reports (§6.1, repeated Robustness − 1 times at
 * random intervals), queries are answered after a random delay (§6.2), reports are built as
 * §5.2 says and sent to ff02::16 with a Router Alert. A part of {@link Ndp}, which hands it the
 * MLD queries it receives; its counters are Ndp's ({@code ndp.tx_mld_report}, ...).
 */
final class Mld extends NdPart {
    /** RFC 3810 §5.2.12 record types. */
    static final int MLD_MODE_IS_EXCLUDE = 2;
    static final int MLD_CHANGE_TO_INCLUDE = 3;
    static final int MLD_CHANGE_TO_EXCLUDE = 4;

    Mld(Ndp nd) {
        super(nd);
    }

    /** RFC 3810 §9.1: the Robustness Variable (default 2): a state change is reported this many times. */
    static final int MLD_ROBUSTNESS = 2;
    /** RFC 3810 §9.11: Unsolicited Report Interval, 1 second. */
    static final long MLD_UNSOLICITED_REPORT_INTERVAL = 1_000_000_000L;

    /** State-change records still to be retransmitted: {hi, lo, record type, retransmissions left} (§6.1). */
    private final List<long[]> mldChanges = new ArrayList<>();
    private final Timer mldChangeTimer = new Timer(this::onMldChangeTimer);
    /** §6.2: the interface timer of a pending answer to a General Query. */
    private final Timer mldQueryTimer = new Timer(this::onMldQueryTimer);
    /** §6.2: groups with a pending answer to a Multicast Address Specific Query: {hi, lo}. */
    private final List<long[]> mldQueried = new ArrayList<>();
    private final Timer mldGroupTimer = new Timer(this::onMldGroupTimer);

    /** Joins a group and reports it (RFC 3810 §6.1). */
    void joinGroup(long hi, long lo) {
        if (ipv6.join(hi, lo) && reportable(hi, lo)) {
            stateChange(MLD_CHANGE_TO_EXCLUDE, hi, lo, true);
        }
    }

    void leaveGroup(long hi, long lo) {
        if (ipv6.leave(hi, lo) && reportable(hi, lo)) {
            stateChange(MLD_CHANGE_TO_INCLUDE, hi, lo, true);
        }
    }

    /**
     * RFC 3810 §6.1: a State Change Report goes out at once, and [Robustness Variable] − 1 more
     * times at intervals chosen at random from (0, [Unsolicited Report Interval]); a newer change
     * of the same group replaces the pending one (§6.1: the new record is the one retransmitted).
     */
    void stateChange(int type, long hi, long lo, boolean sendNow) {
        if (sendNow) {
            sendMldReport(type, new long[] {hi}, new long[] {lo}, 1);
        }
        mldChanges.removeIf(r -> r[0] == hi && r[1] == lo);
        if (MLD_ROBUSTNESS > 1 && mldChanges.size() < 256) {
            mldChanges.add(new long[] {hi, lo, type, MLD_ROBUSTNESS - 1});
            if (!mldChangeTimer.isScheduled()) {
                ctx.timers().schedule(mldChangeTimer, ctx.now() + randomDelay(MLD_UNSOLICITED_REPORT_INTERVAL));
            }
        }
    }

    /** A delay chosen at random from (0, max] (at least 1 ns, so it is never "now"). */
    private long randomDelay(long max) {
        return 1 + (long) (ctx.random().nextDouble() * Math.max(0, max - 1));
    }

    private void onMldChangeTimer(long now) {
        // one report with every pending record of the same type, types in turn
        for (int type : new int[] {MLD_CHANGE_TO_EXCLUDE, MLD_CHANGE_TO_INCLUDE}) {
            int n = 0;
            for (long[] r : mldChanges) {
                if (r[2] == type) {
                    n++;
                }
            }
            if (n == 0) {
                continue;
            }
            long[] his = new long[n];
            long[] los = new long[n];
            int k = 0;
            for (long[] r : mldChanges) {
                if (r[2] == type) {
                    his[k] = r[0];
                    los[k] = r[1];
                    k++;
                    r[3]--;
                }
            }
            counters.inc(NdpCounter.TX_MLD_RETRANSMIT);
            sendMldReport(type, his, los, n);
        }
        mldChanges.removeIf(r -> r[3] <= 0);
        if (!mldChanges.isEmpty()) {
            ctx.timers().schedule(mldChangeTimer, now + randomDelay(MLD_UNSOLICITED_REPORT_INTERVAL));
        }
    }

    private void onMldQueryTimer(long now) {
        reportAll(MLD_MODE_IS_EXCLUDE);
    }

    private void onMldGroupTimer(long now) {
        int n = 0;
        long[] his = new long[mldQueried.size()];
        long[] los = new long[mldQueried.size()];
        for (long[] g : mldQueried) {
            if (ipv6.isMember(g[0], g[1])) {
                his[n] = g[0];
                los[n] = g[1];
                n++;
            }
        }
        mldQueried.clear();
        if (n > 0) {
            sendMldReport(MLD_MODE_IS_EXCLUDE, his, los, n);
        }
    }

    /** RFC 3810 §6: nothing is reported for all-nodes nor for scopes 0 and 1. */
    static boolean reportable(long hi, long lo) {
        int scope = (int) (hi >>> 48) & 0xf;
        return scope > Ipv6Address.SCOPE_INTERFACE && !(hi == Ipv6Address.ALL_NODES_HI && lo == Ipv6Address.ALL_NODES_LO);
    }

    void reportAll(int recordType) {
        List<long[]> g = ipv6.groups();
        long[] his = new long[g.size()];
        long[] los = new long[g.size()];
        int n = 0;
        for (long[] x : g) {
            if (reportable(x[0], x[1])) {
                his[n] = x[0];
                los[n] = x[1];
                n++;
            }
        }
        if (n > 0) {
            sendMldReport(recordType, his, los, n);
        }
    }

    /**
     * RFC 3810 §6.2: a query is answered after a delay chosen at random from [0, Maximum Response
     * Delay], not at once (so that the hosts of a link do not all answer together): a General
     * Query sets the interface timer unless an earlier answer is already pending; a Multicast
     * Address Specific Query for a group we are in schedules an answer for that group unless the
     * interface timer fires first. MLDv1 queries (24 bytes) carry the delay in milliseconds.
     */
    void mldQuery(PacketBuf p, IpMeta meta, Icmpv6 view) {
        // §5.1.14 / §6.2: link-local source, hop limit 1 (RFC 3810 §5: with Router Alert).
        if (!Ipv6Address.isLinkLocal(meta.srcHi) || meta.ttl != 1 || view.length() < 24) {
            counters.inc(NdpCounter.DROP_BAD_SOURCE);
            return;
        }
        ByteBuffer b = p.buf();
        int m = view.offset();
        int code = b.getShort(m + 4) & 0xffff;
        long maxDelayMs = view.length() >= 28 ? maxResponseDelayMs(code) : code;
        long delay = randomDelay(maxDelayMs * 1_000_000L);
        long due = ctx.now() + delay;
        long gHi = b.getLong(m + 8);
        long gLo = b.getLong(m + 16);
        if (gHi == 0 && gLo == 0) {
            if (!mldQueryTimer.isScheduled() || mldQueryTimer.deadline() - due > 0) {
                ctx.timers().schedule(mldQueryTimer, due);
            }
            return;
        }
        if (!ipv6.isMember(gHi, gLo) || !reportable(gHi, gLo)) {
            return;
        }
        if (mldQueryTimer.isScheduled() && mldQueryTimer.deadline() - due <= 0) {
            return; // §6.2 rule 2: the pending general answer comes first and covers it
        }
        boolean known = false;
        for (long[] g : mldQueried) {
            known |= g[0] == gHi && g[1] == gLo;
        }
        if (!known && mldQueried.size() < 256) {
            mldQueried.add(new long[] {gHi, gLo});
        }
        if (!mldGroupTimer.isScheduled() || mldGroupTimer.deadline() - due > 0) {
            ctx.timers().schedule(mldGroupTimer, due);
        }
    }

    /** RFC 3810 §5.1.3: Maximum Response Code → milliseconds (exponential form from 32768 up). */
    static long maxResponseDelayMs(int code) {
        if (code < 32768) {
            return code;
        }
        int exp = (code >>> 12) & 0x7;
        int mant = code & 0xfff;
        return (long) (mant | 0x1000) << (exp + 3);
    }

    /**
     * Sends an MLDv2 Report (RFC 3810 §5.2) to ff02::16 with hop limit 1 and a Router Alert
     * (§5: RFC 2711 value 0), from the link-local address or :: while none is ready (§5.2.13).
     */
    private void sendMldReport(int recordType, long[] his, long[] los, int n) {
        if (!config.ipv6Enabled) {
            return;
        }
        int len = 8 + 20 * n;
        PacketBuf p = ctx.allocate(len + 8);
        if (p == null) {
            counters.inc(NdpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(len);
        ByteBuffer b = p.buf();
        Icmpv6.emitHeader(b, at, Icmpv6.MLD_REPORT_V2, 0, n & 0xffff);
        for (int i = 0; i < n; i++) {
            int r = at + 8 + 20 * i;
            b.put(r, (byte) recordType);
            b.put(r + 1, (byte) 0);
            b.putShort(r + 2, (short) 0);
            b.putLong(r + 4, his[i]);
            b.putLong(r + 12, los[i]);
        }
        LocalAddress ll = ipv6.linkLocal();
        long sHi = ll == null ? 0 : ll.hi();
        long sLo = ll == null ? 0 : ll.lo();
        Icmpv6.fillChecksum(b, at, len, Checksum.pseudoV6(sHi, sLo, Ipv6Address.MLDV2_ROUTERS_HI,
                Ipv6Address.MLDV2_ROUTERS_LO, Ipv6Header.NH_ICMPV6, len));
        int h = p.push(8);
        Ipv6ExtHeader.emitRouterAlert(b, h, Ipv6Header.NH_ICMPV6, 0);
        counters.inc(NdpCounter.TX_MLD_REPORT);
        ipv6.send(p, sHi, sLo, Ipv6Address.MLDV2_ROUTERS_HI, Ipv6Address.MLDV2_ROUTERS_LO, Ipv6Header.NH_HOP_BY_HOP, 1, 0);
    }
}
