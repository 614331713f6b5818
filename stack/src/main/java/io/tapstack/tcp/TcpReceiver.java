package io.tapstack.tcp;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.wire.TcpOptions;

import java.nio.ByteBuffer;

import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * The receive side of one connection (gVisor's rcv.go): the receive sequence space of RFC 9293
 * §3.3.1 (RCV.NXT, the advertised right edge), the receive ring, reassembly of out-of-order
 * data, the ACK policy (immediate or delayed, RFC 5681 §4.2, RFC 9293 §3.8.6.3), the window to
 * advertise (receiver SWS avoidance, RFC 9293 §3.8.6.2.2), the SACK blocks to send (RFC 2018 §4)
 * and the timestamp to echo (RFC 7323 §4.3).
 *
 * <p>The ring holds in-order bytes for the application; out-of-order bytes are written straight
 * into its free space at their offset from RCV.NXT and tracked as ranges, so no per-segment
 * object exists. The ring is allocated on the first data and dropped when the connection ends.
 */
final class TcpReceiver {
    private final TcpConnection c;

    /** IRS. */
    int irs;
    /** RCV.NXT. */
    int nxt;
    /** Right edge of the window we advertised (never moved left, RFC 9293 §3.8.6.2.2). */
    int adv;
    ByteRing ring;
    /** The ring's capacity when last held: a drained busy connection takes as large a one again. */
    private int lastCapacity;
    /**
     * The receive buffer the window is computed against: starts at the configured size and is
     * only ever grown (auto-tuning, {@link #applicationRead}), up to {@link #bufMax}.
     */
    int bufSize;
    /** What auto-tuning may grow {@link #bufSize} to (equal to it: no auto-tuning). */
    final int bufMax;
    // Receive-buffer auto-tuning (Linux's dynamic right-sizing, tcp_rcv_space_adjust): the bytes
    // the application read since tuneStart, and the most it has drained per RTT so far
    private long tuneStart = Long.MIN_VALUE;
    private long tuneCopied;
    private long tuneSpace;
    /** The shortest interval auto-tuning measures over: RFC 6298's clock granularity G (1 ms). */
    static final long TUNE_MIN_INTERVAL = RttEstimator.CLOCK_GRANULARITY;
    /** The MSS we advertise. */
    final char advMss; // MSS values are 16-bit (RFC 9293 §3.7.1): char, as mssEst and quickAcks as a byte,
    // keep this object 8 bytes smaller
    /** The peer's segment size as seen here (for the every-second-segment ACK rule). */
    private char mssEst;
    /** Window scale we apply to what we advertise (RFC 7323 §2.3). */
    byte wscale; // 0..14 (RFC 7323 §2.3); a byte, with no Tcp reference, keeps this object 8 bytes smaller
    /** The peer's FIN has been received (RCV.NXT is past it). */
    boolean fin;
    /** A FIN beyond a hole, remembered until the hole fills. */
    boolean oooFinValid;
    int oooFinSeq;
    /** Out-of-order data held in the ring's free space (RFC 9293 §3.10.7.4 seventh). */
    /** Out-of-order ranges: {@link SeqRangeSet#EMPTY} until the first one (most connections never see one). */
    SeqRangeSet ooo = SeqRangeSet.EMPTY;
    /** Start of the most recent out-of-order segment (its range is the first SACK block, RFC 2018 §4). */
    private int lastOooSeq;
    /** RFC 2883: a duplicate [dsackLeft, dsackRight) to report once, as the first SACK block. */
    private boolean dsackPending;
    private int dsackLeft;
    private int dsackRight;
    /** RFC 3168 §6.1.3: a CE arrived and the peer has not yet answered with CWR: send ECE. */
    boolean eceEcho;
    /** An ACK is due at the end of this input step. */
    boolean ackNow;
    private int pendingAckBytes;
    /**
     * Quick-ACK mode (Linux's icsk_ack.quick): segments still to ACK at once, without delay, after
     * out-of-order data or a filled hole, so that a sender in recovery gets its ACK clock back.
     */
    private byte quickAcks;
    static final int QUICK_ACKS = 16;
    /** RCV.NXT carried by the last ACK we sent (RFC 7323 §4.3 Last.ACK.sent). */
    int lastAckSent;
    // RFC 7323 §4.3 / §5.3: TS.Recent and its age, for echoing and for PAWS
    int tsRecent;
    long tsRecentAge;
    boolean tsRecentValid;
    long bytesReceived;

    TcpReceiver(TcpConnection c, int bufSize, int bufMax, int advMss) {
        this.c = c;
        this.bufSize = bufSize;
        this.bufMax = Math.max(bufSize, bufMax);
        this.advMss = (char) advMss; // at most 65535 (TcpConnection clamps it)
        this.mssEst = (char) Math.min(advMss, 536);
        // RFC 7323 §2.3: the smallest shift that lets the window cover the largest receive
        // buffer auto-tuning may reach (the shift is fixed in the SYN)
        int ws = 0;
        while (ws < TcpOptions.MAX_WSCALE && (this.bufMax >> ws) > 65535) {
            ws++;
        }
        this.wscale = (byte) ws;
    }

    /** The peer's SYN (at {@code seq}) starts the receive sequence space. */
    void synReceived(int seq) {
        irs = seq;
        nxt = seq + 1;
    }

    /** What our SYN offered as the window (unscaled, RFC 7323 §2.2). */
    void synWindowOffered() {
        adv = nxt + Math.min(bufSize, 65535);
    }

    /**
     * Gives the ring back to the loop's pool once the application has read everything and no
     * out-of-order data waits in its free space: an idle connection holds no receive memory.
     */
    void releaseIfDrained() {
        if (ring != null && ring.size() == 0 && ooo.isEmpty()) {
            releaseRing();
        }
    }

    /** Gives the ring back whatever it holds (the connection ended and nobody will read). */
    void releaseRing() {
        c.tcp.rings.give(ring);
        ring = null;
    }

    /** RCV.WND as last advertised. */
    int window() {
        return Math.max(0, adv - nxt);
    }

    /** Bytes the application can read. */
    int available() {
        return ring == null ? 0 : ring.size();
    }

    /** Data has arrived that no ACK has acknowledged yet. */
    boolean ackPending() {
        return lastAckSent != nxt;
    }

    /** RFC 7323 §4.3: remember the timestamp to echo (on an acceptable segment that covers Last.ACK.sent). */
    void updateTsRecent(int seq, TcpOptions o, long now) {
        if (c.tsOk && o.hasTimestamp && le(seq, lastAckSent)
                && (!tsRecentValid || io.tapstack.wire.SeqNum.ge(o.tsVal, tsRecent))) {
            tsRecent = o.tsVal;
            tsRecentAge = now;
            tsRecentValid = true;
        }
    }

    /** In-order data goes to the ring; out-of-order data to its place in the free space. */
    int receiveData(int seq, ByteBuffer b, int off, int len) {
        int used = ring == null ? 0 : ring.size();
        int room = bufSize - used;
        int at = seq - nxt;
        if (at + len > room) {
            len = room - at;
            if (len <= 0) {
                c.tcp.counters.inc(TcpCounter.DROP_OUT_OF_WINDOW);
                ackNow = true;
                return 0;
            }
        }
        if (at > 0) {
            // RFC 9293 §3.10.7.4 seventh: out-of-order segments "may be held" — not must.
            // Issue 11, the memory budget (Linux's tcp_mem): at the limit no out-of-order data is
            // kept; under pressure only what fills the first hole, below the lowest range held
            // (Linux prunes its out-of-order queue first). Still a duplicate ACK (RFC 5681 §4.2),
            // so the sender's fast retransmit repairs the hole.
            MemoryBudget.State st = c.tcp.memory.state();
            if (st == MemoryBudget.State.HARD || (st == MemoryBudget.State.PRESSURE && (ooo.isEmpty() || !lt(seq, ooo.start(0))))) {
                c.tcp.memory.refused(st == MemoryBudget.State.HARD ? MemCounter.DROP_OOO_HARD : MemCounter.DROP_OOO_PRESSURE);
                ackNow = true;
                return 0;
            }
            if (st == MemoryBudget.State.PRESSURE && gt(seq + len, ooo.start(0))) {
                len = ooo.start(0) - seq;
            }
        }
        // elastic: the ring holds what has arrived and grows (doubling) up to the buffer size, as
        // far as the memory budget lets it (RingPool)
        if (ring == null) {
            ring = c.tcp.rings.take(RingPool.capacityFor(at + len, lastCapacity, bufSize), false);
            if (ring == null) {
                return 0; // at the memory limit and nothing freed to reuse: dropped (counted), resent later
            }
        } else {
            ring = c.tcp.rings.grow(ring, used + at + len, bufSize);
        }
        lastCapacity = Math.max(lastCapacity, ring.capacity());
        if (used + at + len > ring.capacity()) {
            // the ring could not grow (memory pressure): keep what fits, the peer resends the rest
            len = ring.capacity() - used - at;
            if (len <= 0) {
                c.tcp.memory.refused(MemCounter.DROP_RCV_NO_MEMORY);
                releaseIfDrained();
                ackNow = true;
                return 0;
            }
        }
        if (len > mssEst) {
            mssEst = (char) Math.min(len, advMss);
        }
        if (at == 0) {
            ring.writeAt(0, b, off, len);
            ring.commit(len);
            nxt += len;
            bytesReceived += len;
            // pull in out-of-order data that is now contiguous
            boolean filled = false;
            while (!ooo.isEmpty() && le(ooo.start(0), nxt)) {
                int end = ooo.end(0);
                if (gt(end, nxt)) {
                    int n = end - nxt;
                    ring.commit(n);
                    bytesReceived += n;
                    nxt = end;
                }
                ooo.remove(0);
                filled = true;
            }
            c.post(TcpConnection.EV_READABLE);
            pendingAckBytes += len;
            if (filled || !ooo.isEmpty()) {
                ackNow = true; // RFC 5681 §4.2: ACK at once when a hole is filled
                quickAcks = QUICK_ACKS;
            } else if (quickAcks > 0) {
                quickAcks--;
                ackNow = true; // quick-ACK mode: for a while after a hole, every segment at once
            } else if (pendingAckBytes >= 2 * mssEst) {
                ackNow = true; // RFC 9293 §3.8.6.3 / RFC 5681 §4.2: every second full segment
            } else {
                c.timers.delayAck(c.tcp.config.delayedAckNanos);
            }
        } else {
            // RFC 9293 §3.10.7.4 seventh: keep it; RFC 5681 §4.2: immediate (duplicate) ACK
            c.tcp.counters.inc(TcpCounter.OUT_OF_ORDER_SEGMENTS);
            ackNow = true;
            quickAcks = QUICK_ACKS;
            if (ooo == SeqRangeSet.EMPTY) {
                ooo = new SeqRangeSet(Math.max(1, c.tcp.config.maxOutOfOrderRanges));
            }
            int added = ooo.add(seq, seq + len);
            if (added == SeqRangeSet.FULL) {
                c.tcp.counters.inc(TcpCounter.DROP_OOO_QUEUE_FULL);
                return 0;
            }
            if (added == SeqRangeSet.COVERED) {
                // RFC 2883 §4 case 2: a duplicate of out-of-order data already held; its
                // block follows the D-SACK block (lastOooSeq makes it the next one)
                duplicateReceived(seq, seq + len);
            }
            ring.writeAt(at, b, off, len);
            lastOooSeq = seq;
        }
        return len;
    }

    /**
     * RFC 2883 §4: octets [l, r) arrived again: report them in the next ACK's first SACK block
     * (once; a later duplicate replaces an unsent one) and ACK at once.
     */
    void duplicateReceived(int l, int r) {
        if (c.sackOk && io.tapstack.wire.SeqNum.lt(l, r)) {
            dsackPending = true;
            dsackLeft = l;
            dsackRight = r;
        }
        ackNow = true;
    }

    /**
     * The application read {@code n} bytes at {@code now}: receive-buffer auto-tuning (Linux's
     * dynamic right-sizing). Once per RTT (SRTT, at least {@link #TUNE_MIN_INTERVAL}) the bytes
     * drained per RTT are measured; when that is a new high, the buffer grows to twice it (capped
     * by {@link #bufMax}, and only if {@link #mayGrowReceiveBuffer} agrees), so the window keeps
     * ahead of a reader at line rate while an idle or slow reader keeps the starting buffer. The
     * buffer never shrinks, so the advertised right edge never moves left (RFC 9293 §3.8.6.2.2,
     * RFC 7323 §2.4); the update itself goes out by the receiver SWS rule
     * ({@link #windowUpdateDue}).
     */
    void applicationRead(int n, long now) {
        if (bufSize >= bufMax) {
            return;
        }
        tuneCopied += n;
        if (tuneStart == Long.MIN_VALUE) {
            tuneStart = now;
            return;
        }
        long rtt = Math.max(c.rtt.srtt(), TUNE_MIN_INTERVAL);
        long elapsed = now - tuneStart;
        if (elapsed < rtt) {
            return;
        }
        // bytes per RTT at the rate measured over the interval (a burst read after an idle gap
        // counts at its average rate, not as one RTT's worth)
        long perRtt = tuneCopied * rtt / elapsed;
        tuneStart = now;
        tuneCopied = 0;
        if (perRtt <= tuneSpace) {
            return;
        }
        long want = 2 * perRtt;
        if (tuneSpace > 0) {
            // the drain rate grew since the last measure (a sender in slow start doubles it per
            // RTT, and this measure lags one RTT): leave room for one more such step, at most
            // doubling again (the idea of Linux's tcp_rcv_space_adjust)
            want += Math.min(want, want * (perRtt - tuneSpace) / tuneSpace);
        }
        tuneSpace = perRtt;
        want = Math.min(bufMax, want);
        if (want > bufSize && mayGrowReceiveBuffer((int) want - bufSize)) {
            bufSize = (int) want;
            c.tcp.counters.inc(TcpCounter.RCV_BUFFER_GROWTHS);
        }
    }

    /**
     * The one place auto-tuning asks whether a receive buffer may grow by {@code bytes} (a
     * memory budget for all connections decides here: no growth under memory pressure, issue 11,
     * Linux's tcp_mem). The ring itself grows only as data arrives ({@link RingPool}).
     */
    boolean mayGrowReceiveBuffer(int bytes) {
        return bytes > 0 && c.tcp.memory.mayGrow();
    }

    /** RFC 9293 §3.10.7.4 eighth: the FIN occupies one sequence number; ACK it at once. */
    void finReceived() {
        nxt += 1;
        fin = true;
        oooFinValid = false;
        ackNow = true;
    }

    /** The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance; never shrinks). */
    int receiveWindow() {
        // less one scale unit: advertise() may round the window up by up to 2^wscale − 1 octets so
        // as not to move the right edge left (RFC 7323 §2.4), and the buffer must hold those too
        int free = Math.max(0, space() - ((1 << wscale) - 1));
        int cur = Math.max(0, adv - nxt);
        int win = free;
        if (win > cur && win - cur < Math.min(bufSize / 2, advMss)) {
            win = cur; // do not advance the right edge by less than min(buffer/2, MSS)
        }
        win = Math.max(win, cur);
        return Math.min(win, 65535 << wscale);
    }

    /**
     * Free receive space to offer: the buffer's; under memory pressure (issue 11, Linux's
     * tcp_mem) only what the ring it has can hold, so the window stops growing (the right edge
     * never moves left, {@link #receiveWindow}).
     */
    private int space() {
        int cap = c.tcp.memory.mayGrow() ? bufSize : Math.min(bufSize, ring == null ? RingPool.MIN_CAPACITY : ring.capacity());
        return Math.max(0, cap - available());
    }

    /**
     * The window field of an outgoing segment, moving the advertised right edge: unscaled and
     * at most 65535 in a SYN (RFC 7323 §2.2), else scaled and never moving the edge left.
     */
    int advertise(boolean syn) {
        if (syn) {
            int window = Math.min(receiveWindow(), 65535);
            adv = nxt + window;
            return window;
        }
        int w = receiveWindow();
        int window = w >>> wscale;
        int edge = nxt + (window << wscale);
        if (lt(edge, adv)) {
            // RFC 7323 §2.4 / RFC 9293 §3.8.6.2.2: scaling rounds down, which would pull the right
            // edge back by up to 2^wscale − 1 octets; round the current window up instead
            window = Math.min(65535, (adv - nxt + (1 << wscale) - 1) >>> wscale);
            edge = nxt + (window << wscale);
        }
        if (gt(edge, adv)) {
            adv = edge;
        }
        if (window == 0) {
            c.tcp.counters.inc(TcpCounter.ZERO_WINDOW_ADVERTISED);
        }
        return window;
    }

    /** An ACK of RCV.NXT went out: nothing is owed any more. */
    void ackSent() {
        lastAckSent = nxt;
        ackNow = false;
        pendingAckBytes = 0;
    }

    /**
     * After the application read: is a pure window update due? RFC 9293 §3.8.6.2.2: only for an
     * increase of at least min(buffer/2, MSS); and, as Linux's tcp_cleanup_rbuf, only when the
     * window we advertised has fallen to half the largest one or less and the update at least
     * doubles it — a sender that still has half a window keeps sending, and its data's ACKs carry
     * the new window. So a closed or half-closed window reopens at once (no stall) and reads in
     * small pieces do not send a window update each (no flood).
     */
    boolean windowUpdateDue() {
        int cur = Math.max(0, adv - nxt);
        int max = Math.min(bufSize, 65535 << wscale);
        int now = Math.min(space(), max);
        return now - cur >= Math.min(bufSize / 2, advMss) && 2L * cur <= max && now >= 2L * cur;
    }

    /** RFC 2018 §3: at most 4 blocks fit in the option space, 3 beside timestamps. */
    int sackBlocksToSend() {
        if (!c.sackOk || (ooo.isEmpty() && !dsackPending)) {
            return 0;
        }
        return Math.min(ooo.size() + (dsackPending ? 1 : 0), c.tsOk ? 3 : 4);
    }

    /** Option space the SACK blocks take in the next segment. */
    int sackRoom() {
        int n = sackBlocksToSend();
        return n > 0 ? 4 + 8 * n : 0;
    }

    /**
     * RFC 2018 §4: the first block holds the most recently received segment; RFC 2883 §4: a
     * D-SACK block, if any, goes before it (and only in this one ACK).
     */
    int writeSackBlocks(ByteBuffer b, int o, int n) {
        b.put(o, (byte) TcpOptions.KIND_NOP);
        b.put(o + 1, (byte) TcpOptions.KIND_NOP);
        b.put(o + 2, (byte) TcpOptions.KIND_SACK);
        b.put(o + 3, (byte) (2 + 8 * n));
        int k = 0;
        if (dsackPending) {
            b.putInt(o + 4, dsackLeft);
            b.putInt(o + 8, dsackRight);
            dsackPending = false;
            c.tcp.counters.inc(TcpCounter.DSACKS_SENT);
            k++;
        }
        if (ooo.isEmpty() || k == n) {
            return 4 + 8 * n;
        }
        int first = Math.max(0, ooo.indexTouching(lastOooSeq));
        b.putInt(o + 4 + 8 * k, ooo.start(first));
        b.putInt(o + 8 + 8 * k, ooo.end(first));
        k++;
        for (int i = 0; i < ooo.size() && k < n; i++) {
            if (i == first) {
                continue;
            }
            b.putInt(o + 4 + 8 * k, ooo.start(i));
            b.putInt(o + 8 + 8 * k, ooo.end(i));
            k++;
        }
        return 4 + 8 * n;
    }
}
