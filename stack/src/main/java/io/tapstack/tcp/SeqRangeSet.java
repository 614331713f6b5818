package io.tapstack.tcp;

import static io.tapstack.wire.SeqNum.gt;
import static io.tapstack.wire.SeqNum.inRange;
import static io.tapstack.wire.SeqNum.le;
import static io.tapstack.wire.SeqNum.lt;

/**
 * A set of sequence-number ranges {@code [start, end)}: sorted, disjoint and never touching
 * (adjacent ranges merge), compared modulo 2³² (RFC 9293 §3.4), with a fixed capacity. Two
 * arrays allocated on the first range and kept; nothing allocates afterwards (a connection that
 * never sees loss or reordering never allocates them: issue 11, allocation per connection).
 *
 * <p>The one sorted-range merge of TCP: the receiver's out-of-order data (RFC 9293 §3.10.7.4
 * seventh, reported as RFC 2018 SACK blocks) and the sender's SACK scoreboard (RFC 2018 §5,
 * RFC 6675 §3) both keep their ranges here. All ranges must lie within one half of the sequence
 * space (2³¹) of each other, which TCP's windows guarantee.
 */
final class SeqRangeSet {
    /** {@link #add} result: the set was full and the range touched none already held. */
    static final int FULL = -1;
    /** {@link #add} result: every octet of the range was already in the set. */
    static final int COVERED = 0;
    /** {@link #add} result: the range added octets to the set. */
    static final int GREW = 1;

    /**
     * The empty set, shared read-only by the owners that have no range yet (a connection that
     * sees no reordering, loss or SACK never makes its own): nothing may be added to it, and
     * {@link #clear}/{@link #removeBelow} leave an empty set unwritten.
     */
    static final SeqRangeSet EMPTY = new SeqRangeSet(1);

    private final int capacity;
    private int[] start;
    private int[] end;
    private int count;

    SeqRangeSet(int capacity) {
        this.capacity = Math.max(1, capacity);
    }

    int capacity() {
        return capacity;
    }

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Start of the {@code i}-th range, lowest first. */
    int start(int i) {
        return start[i];
    }

    /** Exclusive end of the {@code i}-th range. */
    int end(int i) {
        return end[i];
    }

    /** Exclusive end of the highest range; the set must not be empty. */
    int highestEnd() {
        return end[count - 1];
    }

    /** Start of the highest range; the set must not be empty. */
    int highestStart() {
        return start[count - 1];
    }

    void clear() {
        if (count != 0) {
            count = 0;
        }
    }

    /**
     * Inserts {@code [s, e)} (non-empty), merging every range it overlaps or touches.
     *
     * @return {@link #GREW} if octets were added, {@link #COVERED} if all were present,
     *         {@link #FULL} (set unchanged) when a new range was needed and none was free
     */
    int add(int s, int e) {
        assert this != EMPTY : "the shared empty set is read-only";
        if (start == null) {
            start = new int[capacity];
            end = new int[capacity];
        }
        int i = 0;
        while (i < count && lt(end[i], s)) {
            i++;
        }
        // ranges i.. that touch or overlap [s, e) merge into one
        int j = i;
        while (j < count && le(start[j], e)) {
            if (lt(start[j], s)) {
                s = start[j];
            }
            if (gt(end[j], e)) {
                e = end[j];
            }
            j++;
        }
        int merged = j - i;
        int result;
        if (merged == 0) {
            if (count == capacity) {
                return FULL;
            }
            System.arraycopy(start, i, start, i + 1, count - i);
            System.arraycopy(end, i, end, i + 1, count - i);
            count++;
            result = GREW;
        } else if (merged == 1) {
            result = lt(s, start[i]) || gt(e, end[i]) ? GREW : COVERED;
        } else {
            result = GREW; // the range spans the gap between stored ranges
            System.arraycopy(start, j, start, i + 1, count - j);
            System.arraycopy(end, j, end, i + 1, count - j);
            count -= merged - 1;
        }
        start[i] = s;
        end[i] = e;
        return result;
    }

    /** Removes the {@code i}-th range. */
    void remove(int i) {
        System.arraycopy(start, i + 1, start, i, count - i - 1);
        System.arraycopy(end, i + 1, end, i, count - i - 1);
        count--;
    }

    /** Forgets everything below {@code seq}: ranges ending at or below it go, one straddling it is cut. */
    void removeBelow(int seq) {
        if (count == 0) {
            return;
        }
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (le(end[i], seq)) {
                continue;
            }
            start[k] = gt(start[i], seq) ? start[i] : seq;
            end[k] = end[i];
            k++;
        }
        count = k;
    }

    /** The end of the range containing {@code seq}, or {@code seq} itself. */
    int endAt(int seq) {
        for (int i = 0; i < count; i++) {
            if (inRange(seq, start[i], end[i])) {
                return end[i];
            }
        }
        return seq;
    }

    /** The start of the first range above {@code seq}, or {@code none}. */
    int startAfter(int seq, int none) {
        for (int i = 0; i < count; i++) {
            if (gt(start[i], seq)) {
                return start[i];
            }
        }
        return none;
    }

    /** Octets of the set in [a, b). */
    int bytesIn(int a, int b) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            int l = gt(start[i], a) ? start[i] : a;
            int r = lt(end[i], b) ? end[i] : b;
            if (lt(l, r)) {
                n += r - l;
            }
        }
        return n;
    }

    /** Index of the first range with {@code seq} in [start, end] (end inclusive), or -1. */
    int indexTouching(int seq) {
        for (int i = 0; i < count; i++) {
            if (inRange(seq, start[i], end[i] + 1)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(Integer.toUnsignedString(start[i])).append('-').append(Integer.toUnsignedString(end[i]));
        }
        return sb.append(']').toString();
    }
}
