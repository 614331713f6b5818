package io.tapstack.wire;

/**
 * IPv6 addresses as two longs (hi = first 64 bits, lo = last 64 bits), as in {@link IpAddr}:
 * classification (RFC 4291 §2.4), scopes (RFC 4007), solicited-node groups (RFC 4291 §2.7.1),
 * Ethernet multicast mapping (RFC 2464 §7) and prefix arithmetic. No allocation.
 */
public final class Ipv6Address {
    /** ff02::1 all-nodes (RFC 4291 §2.7.1). */
    public static final long ALL_NODES_HI = 0xff02_0000_0000_0000L;
    public static final long ALL_NODES_LO = 1L;
    /** ff02::2 all-routers. */
    public static final long ALL_ROUTERS_HI = 0xff02_0000_0000_0000L;
    public static final long ALL_ROUTERS_LO = 2L;
    /** ff02::16 all MLDv2-capable routers (RFC 3810 §5.2.14). */
    public static final long MLDV2_ROUTERS_HI = 0xff02_0000_0000_0000L;
    public static final long MLDV2_ROUTERS_LO = 0x16L;
    /** fe80::/64. */
    public static final long LINK_LOCAL_PREFIX_HI = 0xfe80_0000_0000_0000L;

    // RFC 4007 §4 / RFC 4291 §2.7 scope values
    public static final int SCOPE_INTERFACE = 1;
    public static final int SCOPE_LINK = 2;
    public static final int SCOPE_SITE = 5;
    public static final int SCOPE_GLOBAL = 14;

    private Ipv6Address() {
    }

    public static boolean isUnspecified(long hi, long lo) {
        return hi == 0 && lo == 0;
    }

    public static boolean isLoopback(long hi, long lo) {
        return hi == 0 && lo == 1;
    }

    /** ff00::/8. */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xff;
    }

    /** fe80::/10. */
    public static boolean isLinkLocal(long hi) {
        return (hi >>> 54) == (0xfe80L >>> 6);
    }

    /** ::ffff:0:0/96. */
    public static boolean isV4Mapped(long hi, long lo) {
        return IpAddr.isV4Mapped(hi, lo);
    }

    /** Scope of an address (RFC 4007; RFC 6724 §3.1 for unicast). */
    public static int scope(long hi, long lo) {
        if (isMulticast(hi)) {
            return (int) (hi >>> 48) & 0xf;
        }
        if (isLinkLocal(hi) || isLoopback(hi, lo)) {
            return SCOPE_LINK;
        }
        return SCOPE_GLOBAL;
    }

    /** ff02::1:ffXX:XXXX for a unicast address (RFC 4291 §2.7.1). */
    public static long solicitedNodeHi() {
        return 0xff02_0000_0000_0000L;
    }

    public static long solicitedNodeLo(long lo) {
        return 0x0000_0001_ff00_0000L | (lo & 0xff_ffffL);
    }

    public static boolean isSolicitedNode(long hi, long lo) {
        return hi == 0xff02_0000_0000_0000L && (lo & 0xffff_ffff_ff00_0000L) == 0x0000_0001_ff00_0000L;
    }

    /** 33:33 followed by the low 32 bits of the group (RFC 2464 §7). */
    public static long multicastMac(long lo) {
        return 0x3333_0000_0000L | (lo & 0xffff_ffffL);
    }

    /** Whether {@code (hi,lo)} lies in {@code (phi,plo)/len}. */
    public static boolean inPrefix(long hi, long lo, long phi, long plo, int len) {
        if (len <= 0) {
            return true;
        }
        if (len <= 64) {
            long m = len == 64 ? -1L : ~(-1L >>> len);
            return ((hi ^ phi) & m) == 0;
        }
        if (hi != phi) {
            return false;
        }
        long m = len >= 128 ? -1L : ~(-1L >>> (len - 64));
        return ((lo ^ plo) & m) == 0;
    }

    /** The high half masked to a prefix length ≤ 64. */
    public static long maskHi(long hi, int len) {
        return len >= 64 ? hi : len <= 0 ? 0 : hi & ~(-1L >>> len);
    }

    public static long maskLo(long lo, int len) {
        return len <= 64 ? 0 : len >= 128 ? lo : lo & ~(-1L >>> (len - 64));
    }

    /** Length of the common prefix (RFC 6724 §2.2 CommonPrefixLen). */
    public static int commonPrefixLength(long ahi, long alo, long bhi, long blo) {
        long x = ahi ^ bhi;
        if (x != 0) {
            return Long.numberOfLeadingZeros(x);
        }
        return 64 + Long.numberOfLeadingZeros(alo ^ blo);
    }

    public static String toString(long hi, long lo) {
        return Ipv6Text.format(hi, lo);
    }
}
