package io.tapstack.ip;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The bytes of one datagram under reassembly and the ranges received so far, shared by IPv4
 * (RFC 791, RFC 815) and IPv6 (RFC 8200 §4.5) reassembly. It decides what a new fragment is —
 * accepted, an exact duplicate, an overlap, inconsistent with the total length, one too many, or
 * over the memory bound — and the caller turns that into its own counters and policy (IPv4
 * discards the datagram on overlap; IPv6 keeps it poisoned, RFC 5722).
 */
public final class FragmentBuffer {
    /** What became of a fragment. */
    public enum Outcome { ACCEPTED, DUPLICATE, OVERLAP, BAD_LENGTH, TOO_MANY, OVER_LIMIT }

    /** Bytes a new datagram holds before its first fragment grows it. */
    public static final int INITIAL_BYTES = 1024;

    /** The shared memory bound: asked before the buffer grows. */
    @FunctionalInterface
    public interface Budget {
        /** Reserves {@code bytes} more; false when that would exceed the bound. */
        boolean reserve(int bytes);
    }

    private byte[] data = new byte[INITIAL_BYTES];
    private int[] starts = new int[8];
    private int[] ends = new int[8];
    private int count;
    private int received;
    /** Payload length, known once the last fragment (MF/M = 0) arrived; -1 before. */
    private int total = -1;

    /** Bytes this buffer holds (what to give back to the budget when it is dropped). */
    public int capacity() {
        return data.length;
    }

    public int total() {
        return total;
    }

    /** The reassembled payload; meaningful once {@link #isComplete()}. */
    public byte[] data() {
        return data;
    }

    /** Every byte up to the total length has arrived. */
    public boolean isComplete() {
        return total >= 0 && received == total;
    }

    /** Frees the memory of a datagram that is kept only to recognise its later fragments. */
    public int release() {
        int freed = data.length;
        data = new byte[0];
        count = 0;
        return freed;
    }

    /**
     * Adds {@code len} payload bytes at {@code srcAt} of {@code src}, belonging at
     * {@code off} of the datagram; {@code more} is the more-fragments flag.
     */
    public Outcome add(ByteBuffer src, int srcAt, int off, int len, boolean more, int maxFragments, Budget budget) {
        int end = off + len;
        // The last fragment fixes the total; everything must agree with it.
        if (!more) {
            if ((total >= 0 && total != end) || maxEnd() > end) {
                return Outcome.BAD_LENGTH;
            }
        } else if (total >= 0 && end > total) {
            return Outcome.BAD_LENGTH;
        }
        for (int i = 0; i < count; i++) {
            if (off < ends[i] && starts[i] < end) {
                return starts[i] == off && ends[i] == end && same(src, srcAt, off, len) ? Outcome.DUPLICATE : Outcome.OVERLAP;
            }
        }
        if (count >= maxFragments) {
            return Outcome.TOO_MANY;
        }
        if (end > data.length) {
            int n = Math.min(65536, Math.max(end, data.length * 2));
            if (!budget.reserve(n - data.length)) {
                return Outcome.OVER_LIMIT;
            }
            data = Arrays.copyOf(data, n);
        }
        if (!more) {
            total = end;
        }
        src.get(srcAt, data, off, len);
        if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            ends = Arrays.copyOf(ends, count * 2);
        }
        starts[count] = off;
        ends[count] = end;
        count++;
        received += len;
        return Outcome.ACCEPTED;
    }

    private int maxEnd() {
        int m = 0;
        for (int i = 0; i < count; i++) {
            m = Math.max(m, ends[i]);
        }
        return m;
    }

    private boolean same(ByteBuffer src, int at, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (data[off + i] != src.get(at + i)) {
                return false;
            }
        }
        return true;
    }
}
