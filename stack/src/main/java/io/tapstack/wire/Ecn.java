package io.tapstack.wire;

/**
 * The ECN field of the IP header (RFC 3168 §5): the two low bits of the IPv4 TOS octet and of
 * the IPv6 Traffic Class.
 *
 * <pre>
 *   0     1     2     3     4     5     6     7
 * +-----+-----+-----+-----+-----+-----+-----+-----+
 * |          DS FIELD, DSCP           | ECN FIELD |
 * +-----+-----+-----+-----+-----+-----+-----+-----+
 * </pre>
 */
public final class Ecn {
    /** Not ECN-Capable Transport. */
    public static final int NOT_ECT = 0;
    /** ECN-Capable Transport, ECT(1). */
    public static final int ECT_1 = 1;
    /** ECN-Capable Transport, ECT(0): what an ECN sender sets (RFC 3168 §5). */
    public static final int ECT_0 = 2;
    /** Congestion Experienced, set by a router instead of dropping. */
    public static final int CE = 3;
    /** The ECN bits in a TOS / traffic-class octet. */
    public static final int MASK = 3;

    private Ecn() {
    }

    /** Whether a packet with this TOS / traffic class is ECN-capable (ECT(0), ECT(1)) and may be marked CE. */
    public static boolean isEct(int tos) {
        int e = tos & MASK;
        return e == ECT_0 || e == ECT_1;
    }
}
