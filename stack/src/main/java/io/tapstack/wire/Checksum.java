package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's-complement of the one's-complement sum.
 * Sums are accumulated in a long and folded at the end, 8 bytes at a time.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running (unfolded) sum. */
    public static long add(long sum, ByteBuffer b, int off, int len) {
        int i = off;
        int end = off + len;
        // 8 bytes at a time, summed as two 32-bit halves: one's-complement addition is
        // associative, so 32-bit partial sums fold to the same 16-bit result (RFC 1071 §2(B)).
        // Each step adds < 2^33, so the long cannot overflow within 64 KiB.
        while (end - i >= 16) {
            long w1 = b.getLong(i);
            long w2 = b.getLong(i + 8);
            sum += (w1 >>> 32) + (w1 & 0xffff_ffffL) + (w2 >>> 32) + (w2 & 0xffff_ffffL);
            i += 16;
        }
        if (end - i >= 8) {
            long w = b.getLong(i);
            sum += (w >>> 32) + (w & 0xffff_ffffL);
            i += 8;
        }
        while (end - i >= 2) {
            sum += b.getShort(i) & 0xffff;
            i += 2;
        }
        if (i < end) {
            sum += (b.get(i) & 0xff) << 8;
        }
        return sum;
    }

    /** Adds a 16-bit value. */
    public static long add16(long sum, int v) {
        return sum + (v & 0xffff);
    }

    /** Adds a 32-bit value as two 16-bit words. */
    public static long add32(long sum, int v) {
        return sum + ((v >>> 16) & 0xffff) + (v & 0xffff);
    }

    /** Folds a running sum to 16 bits (not complemented). */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum field value for a running sum: ~fold(sum). */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** The checksum of a region (field set to zero first, or verifying: result 0 means valid). */
    public static int compute(ByteBuffer b, int off, int len) {
        return finish(add(0, b, off, len));
    }

    /** IPv4 pseudo-header sum (RFC 793 §3.1, RFC 768). */
    public static long pseudoV4(int src, int dst, int protocol, int length) {
        long s = add32(0, src);
        s = add32(s, dst);
        s += protocol;
        s += length;
        return s;
    }

    /** IPv6 pseudo-header sum (RFC 8200 §8.1) from addresses held as two longs each. */
    public static long pseudoV6(long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int length) {
        long s = add64(0, srcHi);
        s = add64(s, srcLo);
        s = add64(s, dstHi);
        s = add64(s, dstLo);
        s += (length >>> 16) + (length & 0xffff);
        s += nextHeader;
        return s;
    }

    private static long add64(long s, long w) {
        return s + (w >>> 48) + ((w >>> 32) & 0xffff) + ((w >>> 16) & 0xffff) + (w & 0xffff);
    }
}
