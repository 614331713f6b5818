package io.tapstack.tcp;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.ip.IpMeta;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

/**
 * SYN cookies (RFC 4987 §3.6): when a listener's SYN queue (or the connection table) is full,
 * the SYN,ACK's ISN encodes a time slot, an MSS index and a keyed hash of the 4-tuple and the
 * peer's ISN, so no state is kept; a returning ACK that carries a valid cookie rebuilds the
 * connection (without window scaling, timestamps or SACK).
 */
final class SynCookies {
    /** MSS values a cookie can encode in 3 bits (common path MTUs). */
    private static final int[] COOKIE_MSS = {536, 1200, 1220, 1360, 1400, 1440, 1460, 8960};
    private static final long COOKIE_PERIOD = 64_000_000_000L;

    private final Tcp tcp;
    private final SipHash hash;

    SynCookies(Tcp tcp, SipHash hash) {
        this.tcp = tcp;
        this.hash = hash;
    }

    private int cookieHash(long lHi, long lLo, int lport, long rHi, long rLo, int rport, int irs, int t) {
        return (int) hash.hash(lHi ^ (rHi * 31), lLo ^ 0x5bd1e995L * rLo,
                ((long) lport << 48) | ((long) rport << 32) | (irs & 0xffff_ffffL), t | 0xc00c1e00000000L);
    }

    void sendSynAck(Segment s, IpMeta m, int lport, int rport) {
        int peerMss = s.opts.hasMss ? s.opts.mss : Tcp.defaultMss(m.srcHi, m.srcLo);
        int ourMss = tcp.pathMtu(m.srcHi, m.srcLo) - tcp.ipHeaderLength(m.srcHi, m.srcLo) - TcpHeader.MIN_LENGTH;
        int want = Math.min(peerMss, ourMss);
        int idx = 0;
        for (int i = 0; i < COOKIE_MSS.length; i++) {
            if (COOKIE_MSS[i] <= want) {
                idx = i;
            }
        }
        int t = (int) (tcp.now() / COOKIE_PERIOD);
        int h = cookieHash(m.dstHi, m.dstLo, lport, m.srcHi, m.srcLo, rport, s.seq, t);
        int isn = ((t & 0x1f) << 27) | (idx << 24) | (h & 0xff_ffff);
        PacketBuf p = tcp.allocate(TcpHeader.MIN_LENGTH + 4);
        if (p == null) {
            tcp.counters.inc(TcpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = p.append(TcpHeader.MIN_LENGTH + 4);
        int win = Math.min(tcp.config.receiveBufferSize, 65535);
        TcpHeader.emit(p.buf(), at, lport, rport, isn, s.seq + 1, TcpHeader.MIN_LENGTH + 4,
                TcpHeader.SYN | TcpHeader.ACK_FLAG, win);
        TcpOptions.writeMss(p.buf(), at + TcpHeader.MIN_LENGTH, Math.min(ourMss, 65535));
        TcpChecksum.fill(p.buf(), at, TcpHeader.MIN_LENGTH + 4, m.dstHi, m.dstLo, m.srcHi, m.srcLo);
        tcp.counters.inc(TcpCounter.SYN_COOKIES_SENT);
        tcp.counters.inc(TcpCounter.TX_SEGMENTS);
        tcp.ipOutput(p, m.dstHi, m.dstLo, m.srcHi, m.srcLo);
    }

    /** Validates the ACK of a cookie SYN-ACK and creates the connection from it. */
    boolean acceptAck(TcpListener l, Segment s, IpMeta m, int lport, int rport) {
        int cookie = s.ack - 1;
        int irs = s.seq - 1;
        int tc = cookie >>> 27;
        long tnow = tcp.now() / COOKIE_PERIOD;
        boolean ok = false;
        for (int age = 0; age <= 1 && !ok; age++) {
            int t = (int) (tnow - age);
            if ((t & 0x1f) == tc && (cookieHash(m.dstHi, m.dstLo, lport, m.srcHi, m.srcLo, rport, irs, t) & 0xff_ffff)
                    == (cookie & 0xff_ffff)) {
                ok = true;
            }
        }
        if (!ok) {
            tcp.counters.inc(TcpCounter.SYN_COOKIES_FAILED);
            return false;
        }
        if (l.acceptQueue.size() >= l.backlog || tcp.connectionCount() >= tcp.config.maxConnections) {
            tcp.counters.inc(TcpCounter.LISTEN_OVERFLOWS);
            tcp.counters.inc(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
            return true;
        }
        if (!tcp.memory.tryCharge(MemoryBudget.Kind.CONNECTIONS, MemoryBudget.CONNECTION_BYTES, MemCounter.DROP_COOKIE_ACK)) {
            return true; // issue 11: at the memory limit, no connection (dropped, counted)
        }
        tcp.counters.inc(TcpCounter.SYN_COOKIES_ACCEPTED);
        TcpConnection c = new TcpConnection(tcp, m.dstHi, m.dstLo, lport, m.srcHi, m.srcLo, rport, l.options, false);
        c.parent = l;
        c.passive = true;
        tcp.insert(c);
        tcp.counters.inc(TcpCounter.PASSIVE_OPENS);
        c.openFromCookie(s, cookie, irs, COOKIE_MSS[(cookie >>> 24) & 7]);
        l.acceptQueue.add(c);
        tcp.queueNotify(l);
        c.segmentArrives(s);
        return true;
    }
}
