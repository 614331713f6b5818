package io.tapstack.tcp;

import io.tapstack.wire.TcpOptions;

import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * The sender's SACK scoreboard (RFC 2018 §5 / §8, RFC 6675 §3): the ranges above SND.UNA that
 * the peer reported holding, on a {@link SeqRangeSet} of fixed size, with the RFC 6675 §4 helper
 * queries (IsLost as an edge, the SACKed octets that SetPipe subtracts, the holes NextSeg walks).
 * Pure: no clock, no I/O, no allocation after construction.
 */
final class SackScoreboard {
    /** Ranges kept; SACK blocks that would need more are ignored (the peer repeats them). */
    static final int MAX_RANGES = 32;
    /** RFC 6675 §2 DupThresh (RFC 5681's three duplicate ACKs). */
    static final int DUP_THRESH = 3;

    /**
     * The scoreboard of every connection that has had no SACK block yet (most never get one):
     * shared and read-only, like {@link SeqRangeSet#EMPTY} under it; a connection takes its own
     * at its first block ({@link TcpConnection#ownScoreboard}).
     */
    static final SackScoreboard EMPTY = new SackScoreboard();

    /** {@link SeqRangeSet#EMPTY} until the first SACK block. */
    private SeqRangeSet ranges = SeqRangeSet.EMPTY;

    /** Ranges held (for tests and diagnostics). */
    SeqRangeSet ranges() {
        return ranges;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    int size() {
        return ranges.size();
    }

    /** The highest SACKed octet + 1; the scoreboard must not be empty. */
    int highestSacked() {
        return ranges.highestEnd();
    }

    /** Start of the highest SACKed range; the scoreboard must not be empty. */
    int highestStart() {
        return ranges.highestStart();
    }

    /** RFC 2018 §8: the peer may have reneged; forget everything. */
    void clear() {
        ranges.clear();
    }

    /**
     * Merges the SACK blocks of an ACK into the scoreboard; true if they covered octets not SACKed
     * before. Blocks that are empty, below SND.UNA (D-SACK, RFC 2883) or above SND.MAX are ignored
     * (RFC 2018 §3/§5). {@code counters} counts every block received (may be null in tests).
     */
    boolean update(TcpOptions o, int sndUna, int sndMax, io.tapstack.stats.Counters<TcpCounter> counters) {
        boolean news = false;
        for (int k = 0; k < o.sackCount; k++) {
            int l = o.sackLeft[k];
            int r = o.sackRight[k];
            if (counters != null) {
                counters.inc(TcpCounter.SACK_BLOCKS_RECEIVED);
            }
            if (!lt(l, r) || le(r, sndUna) || gt(r, sndMax) || lt(l, sndUna)) {
                continue;
            }
            if (ranges == SeqRangeSet.EMPTY) {
                assert this != EMPTY : "the shared empty scoreboard is read-only";
                ranges = new SeqRangeSet(MAX_RANGES);
            }
            if (ranges.add(l, r) == SeqRangeSet.GREW) {
                news = true;
            }
        }
        return news;
    }

    /**
     * RFC 2883 §4: the first SACK block of an ACK is a D-SACK when it lies below the cumulative
     * ACK or inside the second block.
     */
    static boolean isDsack(TcpOptions o, int ack) {
        if (o.sackCount == 0) {
            return false;
        }
        int l = o.sackLeft[0];
        int r = o.sackRight[0];
        if (!lt(l, r)) {
            return false;
        }
        return lt(l, ack) || (o.sackCount > 1 && !lt(l, o.sackLeft[1]) && le(r, o.sackRight[1]));
    }

    /** SND.UNA advanced: forget what is now cumulatively acknowledged. */
    void acknowledged(int sndUna) {
        ranges.removeBelow(sndUna);
    }

    /** The end of the SACKed range containing {@code seq}, or {@code seq} itself. */
    int sackedEndAt(int seq) {
        return ranges.endAt(seq);
    }

    /** The start of the first SACKed range above {@code seq}, or {@code sndMax}. */
    int sackedStartAfter(int seq, int sndMax) {
        return ranges.startAfter(seq, sndMax);
    }

    /** Octets SACKed in [a, b). */
    int sackedBytesIn(int a, int b) {
        return ranges.bytesIn(a, b);
    }

    /**
     * RFC 6675 §4 IsLost as an edge: an un-SACKed octet is lost iff it lies below the returned
     * sequence number (DupThresh discontiguous SACKed ranges above it, or more than
     * (DupThresh − 1)·SMSS SACKed octets above it). Both counts only fall as the octet rises, so
     * the lost octets are exactly those below the start of the highest range where either holds.
     * {@code timedLostEdge} (a time-based edge from loss recovery, RFC 8985 §6.2's idea) raises it
     * when it lies in (edge, SND.MAX].
     */
    int lostEdge(int sndUna, int sndMax, int smss, int timedLostEdge) {
        int bytes = 0;
        int limit = (DUP_THRESH - 1) * smss;
        int edge = sndUna;
        int n = ranges.size();
        for (int i = n - 1; i >= 0; i--) {
            bytes += ranges.end(i) - ranges.start(i);
            if (n - i >= DUP_THRESH || bytes > limit) {
                edge = ranges.start(i);
                break;
            }
        }
        // ... or below data SACKed a reordering window ago
        if (gt(timedLostEdge, edge) && le(timedLostEdge, sndMax)) {
            edge = timedLostEdge;
        }
        return edge;
    }

    /**
     * RFC 6675 §4 SetPipe: un-SACKed octets from HighACK to HighData that are not lost, plus
     * those already resent (below HighRxt), which are in flight again.
     */
    int pipe(int sndUna, int sndMax, int lostEdge, int highRxt) {
        int pipe = (sndMax - lostEdge) - sackedBytesIn(lostEdge, sndMax);
        if (gt(highRxt, sndUna)) {
            pipe += (highRxt - sndUna) - sackedBytesIn(sndUna, highRxt);
        }
        return pipe;
    }

    /**
     * RFC 6675 §4 NextSeg's starting point: the first octet at or above {@code from} that is not
     * SACKed.
     */
    int firstUnsackedFrom(int from) {
        int s = from;
        for (int e = sackedEndAt(s); e != s; e = sackedEndAt(s)) {
            s = e;
        }
        return s;
    }

    /**
     * RFC 6675 §4 NextSeg rule 4's range: where a rescue retransmission of at most {@code len}
     * octets ending at the highest outstanding un-SACKed octet starts, given that end.
     */
    int rescueStart(int top, int len) {
        int start = top - len;
        for (int i = 0; i < ranges.size(); i++) {
            if (le(ranges.end(i), top) && gt(ranges.end(i), start)) {
                start = ranges.end(i);
            }
        }
        return start;
    }

    /** The highest outstanding un-SACKed octet + 1 (NextSeg rule 4), SND.MAX less a SACKed top range. */
    int rescueTop(int sndMax) {
        int top = sndMax;
        if (!ranges.isEmpty() && ranges.highestEnd() == top) {
            top = ranges.highestStart();
        }
        return top;
    }

    @Override
    public String toString() {
        return ranges.toString();
    }
}
