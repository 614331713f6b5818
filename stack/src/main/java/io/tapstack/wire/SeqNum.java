package io.tapstack.wire;

/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 style): a sequence
 * number is an {@code int}; comparisons use the sign of the 32-bit difference, valid while the
 * two numbers are less than 2^31 apart.
 */
public final class SeqNum {
    private SeqNum() {
    }

    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    public static boolean le(int a, int b) {
        return a - b <= 0;
    }

    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** {@code lo <= x < hi} in sequence space. */
    public static boolean inRange(int x, int lo, int hi) {
        return x - lo >= 0 && x - hi < 0;
    }

    public static int max(int a, int b) {
        return gt(a, b) ? a : b;
    }

    public static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /** The distance b − a as a signed int. */
    public static int diff(int b, int a) {
        return b - a;
    }

    /** The unsigned 32-bit value of a sequence number, for display. */
    public static long unsigned(int a) {
        return a & 0xffff_ffffL;
    }
}
