package io.tapstack.tcp;

import static io.tapstack.wire.SeqNum.ge;
import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * The per-segment transmit state of one sender (RFC 8985 §5.2 "per-segment variables"): for each
 * segment in flight, in sequence order, its range, the loop-clock time of its latest
 * transmission in nanoseconds and whether it was retransmitted, SACKed or marked lost. RTT
 * samples (RFC 6298 with Karn's rule: never from a retransmitted segment) and RACK's time-based
 * loss detection are computed from it. A TSO burst is one record until a SACK edge or a
 * retransmission splits it.
 *
 * <p>Records live in parallel primitive arrays ({@code [head, tail)}, compacted when the head
 * passes half the capacity), allocated on the first data sent and dropped with the send ring.
 * When full, a new transmission is merged into the last record (its time becomes the latest), so
 * a peer cannot grow it and nothing allocates per segment.
 */
final class SegmentLog {
    static final byte RETRANS = 1;
    static final byte LOST = 2;
    static final byte SACKED = 4;

    /** At most 4096 records ({@link #capacityFor}): char, as {@link #newlyLost}, keeps this object 8 bytes smaller. */
    private final char capacity;
    private final Pool pool;
    private int[] start;
    private int[] end;
    private long[] xmit;
    private byte[] flags;
    private int head;
    private int tail;

    // ---- what the ACK being processed delivered (reset by beginAck)
    /** The most recently sent segment this ACK delivered that may give RACK its RTT (RFC 8985 §6.2 step 2). */
    boolean delivered;
    long deliveredXmit;
    int deliveredEnd;
    /** RTT sample (ns) from the most recently sent never-retransmitted segment this ACK delivered, or -1. */
    long rttSample;
    private long rttXmit;
    /** RFC 8985 §6.2 step 3: a never-retransmitted segment below RACK.fack was delivered. */
    boolean reorderingSeen;
    /** RACK.fack: the highest end sequence delivered (valid once {@link #fackValid}). */
    private int fack;
    private boolean fackValid;
    // filters for retransmitted segments (RFC 8985 §6.2 step 2), set by beginAck
    private long now;
    private long minRtt;
    private long ecrNanos;

    /** Records lost by the last {@link #detectLoss} (or {@link #markLostOnRto}). */
    char newlyLost;

    /** Records for a send buffer of {@code sendBufSize} bytes (a record per 536-byte segment, at most 4096). */
    static int capacityFor(int sendBufSize) {
        return Math.min(4096, sendBufSize / 536 + 16);
    }

    SegmentLog(int capacity) {
        this(capacity, null);
    }

    /** A log whose arrays come from (and go back to) {@code pool} when it has the same capacity. */
    SegmentLog(int capacity, Pool pool) {
        this.capacity = (char) Math.max(8, Math.min(65535, capacity));
        this.pool = pool != null && pool.capacity == this.capacity ? pool : null;
    }

    private void allocate() {
        if (pool != null && pool.count > 0) {
            int k = --pool.count;
            if (k < pool.low) {
                pool.low = k;
            }
            start = pool.start[k];
            end = pool.end[k];
            xmit = pool.xmit[k];
            flags = pool.flags[k];
            pool.start[k] = pool.end[k] = null;
            pool.xmit[k] = null;
            pool.flags[k] = null;
            return;
        }
        start = new int[capacity];
        end = new int[capacity];
        xmit = new long[capacity];
        flags = new byte[capacity];
    }

    /**
     * The loop's free log arrays of one capacity (the one the default send buffer gives), so that
     * a connection holds them only while data is in flight (issue 11: an idle connection holds
     * no per-segment memory) and a busy/idle cycle does not allocate. Bounded; loop-owned.
     */
    static final class Pool {
        final int capacity;
        final int[][] start;
        final int[][] end;
        final long[][] xmit;
        final byte[][] flags;
        int count;
        /** The fewest arrays held since the last trim (the untouched ones are surplus). */
        int low;

        Pool(int capacity, int max) {
            this.capacity = Math.max(8, capacity);
            start = new int[max][];
            end = new int[max][];
            xmit = new long[max][];
            flags = new byte[max][];
        }

        int free() {
            return count;
        }

        /** Lets half (rounded up) of the arrays untouched since the last trim go, as {@link RingPool#trim}. */
        void trim() {
            int drop = Math.min(count, (low + 1) / 2);
            for (int i = 0; i < drop; i++) {
                int k = --count;
                start[k] = end[k] = null;
                xmit[k] = null;
                flags[k] = null;
            }
            low = count;
        }
    }

    /** Records in flight (for tests and diagnostics). */
    int size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    /** The connection ended or the send space restarted: forget everything (memory is kept). */
    void clear() {
        head = tail = 0;
        fackValid = false;
        reorderingSeen = false;
    }

    /** The connection ended: give the memory back. */
    void release() {
        clear();
        freeArrays();
    }

    private void freeArrays() {
        if (start != null && pool != null && pool.count < pool.start.length) {
            int k = pool.count++;
            pool.start[k] = start;
            pool.end[k] = end;
            pool.xmit[k] = xmit;
            pool.flags[k] = flags;
        }
        start = end = null;
        xmit = null;
        flags = null;
    }

    // ---------------------------------------------------------------- transmission

    /**
     * A segment covering [{@code seq}, {@code endSeq}) was sent at {@code t}: new data appends a
     * record; a retransmission restamps the records it covers (split at its edges), marks them
     * retransmitted and no longer lost (RFC 8985 §6.1: "Segment.xmit_ts = Now()").
     */
    void onSend(int seq, int endSeq, long t) {
        if (!lt(seq, endSeq)) {
            return;
        }
        if (start == null) {
            allocate();
        }
        if (head == tail || ge(seq, end[tail - 1])) {
            append(seq, endSeq, t);
            return;
        }
        // a retransmission (or a probe of data already sent): restamp [seq, endSeq)
        splitAt(seq);
        splitAt(endSeq);
        int i = find(seq);
        for (; i < tail && lt(start[i], endSeq); i++) {
            if (ge(start[i], seq)) {
                xmit[i] = t;
                flags[i] = (byte) ((flags[i] | RETRANS) & ~LOST);
            }
        }
        if (gt(endSeq, end[tail - 1])) {
            append(end[tail - 1], endSeq, t); // the part past what was recorded is new
        }
    }

    private void append(int seq, int endSeq, long t) {
        if (tail == capacity) {
            compact();
        }
        if (tail == capacity) {
            // full: merge into the last record (coarser, never unbounded)
            end[tail - 1] = endSeq;
            xmit[tail - 1] = t;
            return;
        }
        start[tail] = seq;
        end[tail] = endSeq;
        xmit[tail] = t;
        flags[tail] = 0;
        tail++;
    }

    private void compact() {
        if (head > 0) {
            int n = tail - head;
            System.arraycopy(start, head, start, 0, n);
            System.arraycopy(end, head, end, 0, n);
            System.arraycopy(xmit, head, xmit, 0, n);
            System.arraycopy(flags, head, flags, 0, n);
            head = 0;
            tail = n;
        }
    }

    /** Index of the first record whose end is above {@code seq} (tail if none). */
    private int find(int seq) {
        int lo = head;
        int hi = tail;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (le(end[mid], seq)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Splits the record containing {@code seq} strictly inside it into two (if there is room). */
    private void splitAt(int seq) {
        int i = find(seq);
        if (i == tail || !lt(start[i], seq)) {
            return;
        }
        if (tail == capacity) {
            compact();
            if (tail == capacity) {
                return;
            }
            i = find(seq);
        }
        int n = tail - i - 1;
        System.arraycopy(start, i + 1, start, i + 2, n);
        System.arraycopy(end, i + 1, end, i + 2, n);
        System.arraycopy(xmit, i + 1, xmit, i + 2, n);
        System.arraycopy(flags, i + 1, flags, i + 2, n);
        tail++;
        start[i + 1] = seq;
        end[i + 1] = end[i];
        xmit[i + 1] = xmit[i];
        flags[i + 1] = flags[i];
        end[i] = seq;
    }

    // ---------------------------------------------------------------- acknowledgments

    /**
     * Starts processing one ACK at {@code t}. {@code minRtt} and {@code ecrNanos} (the loop time,
     * to the millisecond, at which the echoed timestamp was sent, or Long.MIN_VALUE) filter samples from retransmitted segments
     * (RFC 8985 §6.2 step 2).
     */
    void beginAck(long t, long minRtt, long ecrNanos) {
        now = t;
        this.minRtt = minRtt;
        this.ecrNanos = ecrNanos;
        delivered = false;
        rttSample = -1;
        deliveredXmit = 0;
    }

    /** A segment was delivered (cumulatively or selectively) by this ACK. */
    private void deliver(int i) {
        long x = xmit[i];
        long rtt = now - x;
        boolean retrans = (flags[i] & RETRANS) != 0;
        // RFC 8985 §6.2 step 3: reordering, if a never-retransmitted segment below RACK.fack arrives
        if (!fackValid || gt(end[i], fack)) {
            fack = end[i];
            fackValid = true;
        } else if (lt(end[i], fack) && !retrans) {
            reorderingSeen = true;
        }
        if (!retrans) {
            if (rttSample < 0 || x >= rttXmit) {
                rttSample = rtt; // RFC 6298 §3 (Karn): only never-retransmitted segments
                rttXmit = x;
            }
        } else if ((ecrNanos != Long.MIN_VALUE && ecrNanos + 1_000_000L <= x) || rtt < minRtt) {
            return; // RFC 8985 §6.2 step 2: the ACK was for the original transmission
        }
        if (!delivered || x > deliveredXmit || (x == deliveredXmit && gt(end[i], deliveredEnd))) {
            delivered = true;
            deliveredXmit = x;
            deliveredEnd = end[i];
        }
    }

    /** SND.UNA advanced to {@code una}: records below it are delivered and forgotten. */
    void acknowledge(int una) {
        while (head < tail && le(end[head], una)) {
            if ((flags[head] & SACKED) == 0) {
                deliver(head);
            }
            head++;
        }
        if (head < tail && lt(start[head], una)) {
            if ((flags[head] & SACKED) == 0) {
                deliver(head); // part of a TSO record was acknowledged
            }
            start[head] = una;
        }
        if (head == tail) {
            head = tail = 0;
            freeArrays(); // nothing in flight: the arrays wait in the pool until data is sent again
        }
    }

    /**
     * The scoreboard changed: records it covers entirely become SACKed and are delivered. A SACK
     * edge inside a record splits it, so that a TSO burst's delivered part is told apart from
     * its lost part. One merged walk over records and ranges.
     */
    void markSacked(SackScoreboard sb) {
        SeqRangeSet r = sb.ranges();
        int n = r.size();
        for (int k = 0; k < n; k++) {
            int l = r.start(k);
            int e = r.end(k);
            splitAt(l);
            splitAt(e);
            for (int i = find(l); i < tail && le(end[i], e); i++) {
                if (ge(start[i], l) && (flags[i] & SACKED) == 0) {
                    flags[i] = (byte) ((flags[i] | SACKED) & ~LOST);
                    deliver(i);
                }
            }
        }
    }

    // ---------------------------------------------------------------- RACK (RFC 8985 §6.2 step 5, §6.3)

    /** RFC 8985 §6.2 RACK_sent_after(t1, seq1, t2, seq2). */
    static boolean sentAfter(long t1, int seq1, long t2, int seq2) {
        return t1 > t2 || (t1 == t2 && gt(seq1, seq2));
    }

    /**
     * RFC 8985 §6.2 step 5 RACK_detect_loss: every record neither SACKed nor lost that was sent
     * before RACK's segment ({@code rackXmit}, {@code rackEnd}) is lost once
     * {@code xmit + rtt + reoWnd} has passed; returns the longest time still to wait (0: none).
     * {@link #newlyLost} counts the records marked.
     */
    long detectLoss(long t, long rackXmit, int rackEnd, long rtt, long reoWnd) {
        newlyLost = 0;
        long timeout = 0;
        for (int i = head; i < tail; i++) {
            if ((flags[i] & (SACKED | LOST)) != 0) {
                continue;
            }
            // sequence order breaks ties in transmit time only for data sent once: a
            // retransmission is "before" RACK's segment only if it was sent strictly earlier
            boolean before = (flags[i] & RETRANS) != 0 ? rackXmit > xmit[i] : sentAfter(rackXmit, rackEnd, xmit[i], end[i]);
            if (!before) {
                continue;
            }
            long remaining = xmit[i] + rtt + reoWnd - t;
            if (remaining <= 0) {
                flags[i] |= LOST;
                newlyLost++;
            } else if (remaining > timeout) {
                timeout = remaining;
            }
        }
        return timeout;
    }

    /**
     * RFC 8985 §6.3: on a retransmission timeout, the segment at SND.UNA and every one sent more
     * than {@code rtt + reoWnd} ago is lost.
     */
    void markLostOnRto(long t, long rtt, long reoWnd) {
        newlyLost = 0;
        for (int i = head; i < tail; i++) {
            if ((flags[i] & (SACKED | LOST)) == 0 && (i == head || xmit[i] + rtt + reoWnd - t <= 0)) {
                flags[i] |= LOST;
                newlyLost++;
            }
        }
    }

    /** A timeout was spurious (RFC 4015): nothing it marked is lost. */
    void clearLost() {
        for (int i = head; i < tail; i++) {
            flags[i] &= ~LOST;
        }
    }

    /** The first lost, un-SACKed record at or above {@code from}: its start, or {@code none}. */
    int firstLost(int from, int none) {
        for (int i = find(from); i < tail; i++) {
            if ((flags[i] & (LOST | SACKED)) == LOST) {
                return lt(start[i], from) ? from : start[i];
            }
        }
        return none;
    }

    /** End of the record containing {@code seq} (or {@code seq}). */
    int endOf(int seq) {
        int i = find(seq);
        return i < tail && le(start[i], seq) ? end[i] : seq;
    }

    /** Octets marked lost and not SACKed (RFC 8985 / RFC 6675 pipe: lost data is not in flight). */
    int lostBytes() {
        int b = 0;
        for (int i = head; i < tail; i++) {
            if ((flags[i] & (LOST | SACKED)) == LOST) {
                b += end[i] - start[i];
            }
        }
        return b;
    }

    /** Records SACKed (RFC 8985 §6.2 step 4's RACK.segs_sacked). */
    int sackedSegments() {
        int c = 0;
        for (int i = head; i < tail; i++) {
            if ((flags[i] & SACKED) != 0) {
                c++;
            }
        }
        return c;
    }

    /** Flags of the record containing {@code seq}, or -1 (tests). */
    int flagsAt(int seq) {
        int i = find(seq);
        return i < tail && le(start[i], seq) ? flags[i] : -1;
    }

    /** Transmit time of the record containing {@code seq}, or -1 (tests). */
    long xmitAt(int seq) {
        int i = find(seq);
        return i < tail && le(start[i], seq) ? xmit[i] : -1;
    }
}
