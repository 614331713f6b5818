package io.tapstack.tcp;

import io.tapstack.loop.Timer;
import io.tapstack.wire.TcpHeader;

import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * TIME-WAIT as small records (issue 11; Linux's {@code inet_timewait_sock}, FreeBSD's
 * {@code tcptw}): when a connection enters TIME-WAIT (RFC 9293 §3.10.7.4) and nothing is left
 * for the application to read, {@link Tcp} lets the {@link TcpConnection} and all its parts go
 * and keeps only what TIME-WAIT needs — the 4-tuple, SND.NXT, RCV.NXT, TS.Recent, our timestamp
 * offset, the window to advertise and the expiry — in primitive arrays with no object per record.
 *
 * <p>Lookup is an open-addressed index of record numbers keyed like the {@link ConnectionTable}
 * (linear probing, backward-shift deletion). Every record sits on one doubly linked list in
 * order of expiry (the 2·MSL is the same for all, so a new or restarted record goes to the
 * tail); one {@link Timer} on the stack's wheel waits for the head, so expiry never walks the
 * records that are not due. The arrays grow by doubling up to {@code TcpConfig.maxTimeWait}
 * records (the cap is the caller's, counted with the full TIME-WAIT connections) and shrink back
 * to their first size when the last record expires.
 *
 * <p>What a record does with a segment (RFC 9293 §3.10.7.4 for TIME-WAIT, as the full
 * connection did): a RST is ignored (RFC 1337 §3); a SYN with a higher timestamp (RFC 6191 §2)
 * or, without timestamps, a higher sequence number (RFC 1122 §4.2.2.13) ends the record so the
 * SYN can open a new connection, any other SYN gets a rate-limited challenge ACK (RFC 5961
 * §4.2); an old timestamp is a PAWS drop with an ACK (RFC 7323 §5.3); the peer's FIN again is
 * acknowledged and restarts the 2·MSL; a bare ACK at RCV.NXT is ignored; anything else is
 * answered with {@code <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>}.
 */
final class TimeWaitTable {
    /**
     * Heap bytes one record costs in these arrays: 5 longs (40: the two addresses, the expiry),
     * 10 ints (40: ports, SND.NXT, RCV.NXT, TS.Recent, TS offset, window and flags, serial, list
     * links) and two slots of the index kept at most half full (8). A memory budget charges this
     * per record; the arrays' doubling can hold up to twice as much while they are growing.
     */
    static final int RECORD_BYTES = 88;

    private static final int MIN_CAPACITY = 256;
    private static final int WINDOW_MASK = 0xffff;
    private static final int TS_OK = 1 << 16;
    private static final int TS_RECENT_VALID = 1 << 17;

    private final Tcp tcp;
    private final long seed;
    private final Timer timer = new Timer(this::expire);

    private long[] lHi;
    private long[] lLo;
    private long[] rHi;
    private long[] rLo;
    private long[] expiry;
    private int[] ports;
    private int[] sndNxt;
    private int[] rcvNxt;
    private int[] tsRecent;
    private int[] tsOffset;
    private int[] winFlags;
    private int[] serial;
    /** Expiry-list links; {@code next} also chains the free records. */
    private int[] prev;
    private int[] next;
    /** Open-addressed index: record number + 1, 0 = empty. */
    private int[] index;

    private int count;
    private int used;
    private int free = -1;
    private int head = -1;
    private int tail = -1;
    private int serials;

    TimeWaitTable(Tcp tcp, long seed) {
        this.tcp = tcp;
        this.seed = seed;
        allocate(MIN_CAPACITY);
    }

    /** Records held now. */
    int size() {
        return count;
    }

    /** Records the arrays can hold before they grow. */
    int capacity() {
        return serial.length;
    }

    private void allocate(int cap) {
        lHi = new long[cap];
        lLo = new long[cap];
        rHi = new long[cap];
        rLo = new long[cap];
        expiry = new long[cap];
        ports = new int[cap];
        sndNxt = new int[cap];
        rcvNxt = new int[cap];
        tsRecent = new int[cap];
        tsOffset = new int[cap];
        winFlags = new int[cap];
        serial = new int[cap];
        prev = new int[cap];
        next = new int[cap];
        index = new int[cap * 2];
    }

    private void grow() {
        int cap = serial.length * 2;
        lHi = java.util.Arrays.copyOf(lHi, cap);
        lLo = java.util.Arrays.copyOf(lLo, cap);
        rHi = java.util.Arrays.copyOf(rHi, cap);
        rLo = java.util.Arrays.copyOf(rLo, cap);
        expiry = java.util.Arrays.copyOf(expiry, cap);
        ports = java.util.Arrays.copyOf(ports, cap);
        sndNxt = java.util.Arrays.copyOf(sndNxt, cap);
        rcvNxt = java.util.Arrays.copyOf(rcvNxt, cap);
        tsRecent = java.util.Arrays.copyOf(tsRecent, cap);
        tsOffset = java.util.Arrays.copyOf(tsOffset, cap);
        winFlags = java.util.Arrays.copyOf(winFlags, cap);
        serial = java.util.Arrays.copyOf(serial, cap);
        prev = java.util.Arrays.copyOf(prev, cap);
        next = java.util.Arrays.copyOf(next, cap);
        index = new int[cap * 2];
        for (int r = head; r != -1; r = next[r]) {
            place(r);
        }
    }

    private int home(int r) {
        return ConnectionTable.hash(seed, lHi[r], lLo[r], ports[r] >>> 16, rHi[r], rLo[r], ports[r] & 0xffff)
                & (index.length - 1);
    }

    private void place(int r) {
        int mask = index.length - 1;
        int i = home(r);
        while (index[i] != 0) {
            i = (i + 1) & mask;
        }
        index[i] = r + 1;
    }

    /** The record of this 4-tuple, or -1. */
    int find(long lh, long ll, int lport, long rh, long rl, int rport) {
        if (count == 0) {
            return -1;
        }
        int[] t = index;
        int mask = t.length - 1;
        int p = (lport << 16) | rport;
        for (int i = ConnectionTable.hash(seed, lh, ll, lport, rh, rl, rport) & mask; t[i] != 0; i = (i + 1) & mask) {
            int r = t[i] - 1;
            if (ports[r] == p && lLo[r] == ll && rLo[r] == rl && lHi[r] == lh && rHi[r] == rh) {
                return r;
            }
        }
        return -1;
    }

    /** True while the record numbered {@code s} (from {@link #add}) still holds this 4-tuple. */
    boolean alive(int s, long lh, long ll, int lport, long rh, long rl, int rport) {
        int r = find(lh, ll, lport, rh, rl, rport);
        return r >= 0 && serial[r] == s;
    }

    /**
     * Takes over TIME-WAIT for {@code c} until {@code until} (loop nanoseconds); returns the
     * record's serial number (never 0). The caller checks the cap.
     */
    int add(TcpConnection c, long until) {
        int r;
        if (free != -1) {
            r = free;
            free = next[r];
        } else {
            if (used == serial.length) {
                grow();
            }
            r = used++;
        }
        lHi[r] = c.localHi;
        lLo[r] = c.localLo;
        rHi[r] = c.remoteHi;
        rLo[r] = c.remoteLo;
        ports[r] = (c.localPort << 16) | c.remotePort;
        TcpReceiver rcv = c.rcv;
        sndNxt[r] = c.snd.nxt;
        rcvNxt[r] = rcv.nxt;
        tsRecent[r] = rcv.tsRecent;
        tsOffset[r] = c.tsNow(0);
        winFlags[r] = Math.min(WINDOW_MASK, rcv.window() >>> rcv.wscale)
                | (c.tsOk ? TS_OK : 0) | (rcv.tsRecentValid ? TS_RECENT_VALID : 0);
        int s = ++serials;
        if (s == 0) {
            s = serials = 1;
        }
        serial[r] = s;
        expiry[r] = until;
        insertByExpiry(r);
        place(r);
        count++;
        rescheduleTimer();
        return s;
    }

    /** Links {@code r} into the expiry list: from the tail, where a new record almost always goes. */
    private void insertByExpiry(int r) {
        int after = tail;
        while (after != -1 && expiry[after] > expiry[r]) {
            after = prev[after];
        }
        prev[r] = after;
        next[r] = after == -1 ? head : next[after];
        if (next[r] == -1) {
            tail = r;
        } else {
            prev[next[r]] = r;
        }
        if (after == -1) {
            head = r;
        } else {
            next[after] = r;
        }
    }

    private void unlink(int r) {
        if (prev[r] == -1) {
            head = next[r];
        } else {
            next[prev[r]] = next[r];
        }
        if (next[r] == -1) {
            tail = prev[r];
        } else {
            prev[next[r]] = prev[r];
        }
    }

    /** Ends the record: out of the index and the expiry list, its slot free. */
    void remove(int r) {
        int[] t = index;
        int mask = t.length - 1;
        int i = home(r);
        while (t[i] != r + 1) {
            i = (i + 1) & mask;
        }
        t[i] = 0;
        // backward-shift deletion keeps every probe chain unbroken
        for (int j = (i + 1) & mask; t[j] != 0; j = (j + 1) & mask) {
            int h = home(t[j] - 1);
            boolean between = i <= j ? (h > i && h <= j) : (h > i || h <= j);
            if (!between) {
                t[i] = t[j];
                t[j] = 0;
                i = j;
            }
        }
        unlink(r);
        serial[r] = 0;
        next[r] = free;
        free = r;
        count--;
        tcp.timeWaitLeft();
        if (count == 0 && serial.length > MIN_CAPACITY) {
            // the last one went: give the grown arrays back (issue 11, memory after a burst of closes)
            allocate(MIN_CAPACITY);
            used = 0;
            free = -1;
        }
        rescheduleTimer();
    }

    private void rescheduleTimer() {
        if (head == -1) {
            tcp.cancel(timer);
        } else if (!timer.isScheduled() || timer.deadline() != expiry[head]) {
            tcp.schedule(timer, expiry[head]);
        }
    }

    /** 2·MSL has passed for the records at the head of the list (RFC 9293 §3.10.7.4 "Timeout"). */
    private void expire(long now) {
        while (head != -1 && expiry[head] <= now) {
            remove(head);
        }
        rescheduleTimer();
    }

    /**
     * RFC 9293 §3.10.7.4 for a segment on a TIME-WAIT record. Returns false when a new SYN has
     * ended the record (the caller goes on to the listener), true when the segment was handled.
     */
    boolean segmentArrives(int r, Segment s) {
        int flags = winFlags[r];
        boolean ts = (flags & TS_OK) != 0 && s.opts.hasTimestamp;
        if (s.rst()) {
            // RFC 1337 §3 (TIME-WAIT assassination): ignore RSTs in TIME-WAIT
            tcp.counters.inc(TcpCounter.TIME_WAIT_RST_IGNORED);
            return true;
        }
        if (s.syn()) {
            // RFC 6191 §2 with timestamps, else RFC 1122 §4.2.2.13: a newer SYN may reopen the pair
            if (!s.hasAck() && (ts ? gt(s.opts.tsVal, tsRecent[r]) : gt(s.seq, rcvNxt[r]))) {
                tcp.counters.inc(TcpCounter.TIME_WAIT_REUSED);
                remove(r);
                return false;
            }
            if (tcp.challengeAllowed()) { // RFC 5961 §4.2 with the limit of §7
                sendAck(r);
            }
            return true;
        }
        if (ts && (flags & TS_RECENT_VALID) != 0 && lt(s.opts.tsVal, tsRecent[r])) {
            // RFC 7323 §5.3 PAWS (TS.Recent of a record is at most 2·MSL old, far below §5.5's 24 days)
            tcp.counters.inc(TcpCounter.PAWS_REJECTED);
            tcp.counters.inc(TcpCounter.DROP_PAWS);
            sendAck(r);
            return true;
        }
        int end = s.seq + s.segLen();
        int nxt = rcvNxt[r];
        if (s.fin() && le(end, nxt)) {
            // RFC 9293 §3.10.7.4: "The only thing that can arrive in this state is a
            // retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
            tcp.counters.inc(TcpCounter.DUPLICATE_SEGMENTS);
            if (ts && (flags & TS_RECENT_VALID) != 0) {
                tsRecent[r] = s.opts.tsVal; // RFC 7323 §4.3: it covers Last.ACK.sent
            }
            unlink(r);
            expiry[r] = tcp.now() + tcp.config.timeWaitNanos();
            insertByExpiry(r);
            rescheduleTimer();
            sendAck(r);
            return true;
        }
        if (s.segLen() == 0 && s.seq == nxt) {
            return true; // a bare ACK of our FIN again: nothing to answer
        }
        // RFC 9293 §3.10.7.4 first: an unacceptable segment gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        tcp.counters.inc(le(end, nxt) ? TcpCounter.DUPLICATE_SEGMENTS : TcpCounter.DROP_OUT_OF_WINDOW);
        sendAck(r);
        return true;
    }

    private void sendAck(int r) {
        int flags = winFlags[r];
        int p = ports[r];
        boolean ts = (flags & TS_OK) != 0;
        int tsVal = (int) (tcp.now() / 1_000_000L) + tsOffset[r]; // RFC 7323 §5.4, as TcpConnection.tsNow
        tcp.sendBare(lHi[r], lLo[r], p >>> 16, rHi[r], rLo[r], p & 0xffff, sndNxt[r], rcvNxt[r],
                TcpHeader.ACK_FLAG, flags & WINDOW_MASK, ts, tsVal, tsRecent[r]);
    }
}
