package io.tapstack.wire;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address as two longs (the 128 bits of an IPv6 address, big-endian). IPv4
 * addresses are held IPv4-mapped ({@code ::ffff:a.b.c.d}, RFC 4291 §2.5.5.2), so one type and
 * one hash serve both families on the packet path: code that keys tables by address uses the
 * two longs directly and never allocates. Immutable.
 */
public final class IpAddr {
    /** High half of an IPv4-mapped address. */
    public static final long V4_MAPPED_HI = 0L;
    /** Low half's top 32 bits of an IPv4-mapped address. */
    public static final long V4_MAPPED_LO_PREFIX = 0x0000_ffffL << 32;

    public static final IpAddr V4_ANY = ofV4(0);
    public static final IpAddr V6_ANY = new IpAddr(0, 0);

    private final long hi;
    private final long lo;

    private IpAddr(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    public static IpAddr of(long hi, long lo) {
        return new IpAddr(hi, lo);
    }

    public static IpAddr ofV4(int a) {
        return new IpAddr(V4_MAPPED_HI, mappedLo(a));
    }

    public static long mappedLo(int v4) {
        return V4_MAPPED_LO_PREFIX | (v4 & 0xffff_ffffL);
    }

    public static boolean isV4Mapped(long hi, long lo) {
        return hi == 0 && (lo >>> 32) == 0xffffL;
    }

    /** Parses an IPv4 dotted quad or an IPv6 literal (brackets and a %zone are not accepted here). */
    public static IpAddr parse(String s) {
        String t = s.trim();
        if (t.indexOf(':') < 0) {
            return ofV4(Ipv4Address.parse(t));
        }
        if (!t.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            throw new IllegalArgumentException("invalid IPv6 address '" + s + "'");
        }
        try {
            // A literal never triggers a name lookup.
            byte[] b = InetAddress.getByName(t).getAddress();
            if (b.length == 4) {
                return ofV4(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
            }
            return ofBytes(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IPv6 address '" + s + "'");
        }
    }

    public static IpAddr ofBytes(byte[] b) {
        if (b.length == 4) {
            return ofV4(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
        }
        if (b.length != 16) {
            throw new IllegalArgumentException("address must have 4 or 16 bytes");
        }
        long h = 0;
        long l = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (b[i] & 0xff);
            l = (l << 8) | (b[8 + i] & 0xff);
        }
        return new IpAddr(h, l);
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    public boolean isV4() {
        return isV4Mapped(hi, lo);
    }

    /** The IPv4 address; only meaningful when {@link #isV4()}. */
    public int v4() {
        return (int) lo;
    }

    public boolean isAny() {
        return (hi == 0 && lo == 0) || (isV4() && v4() == 0);
    }

    public byte[] toBytes() {
        if (isV4()) {
            int a = v4();
            return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public String toString() {
        if (isV4()) {
            return Ipv4Address.toString(v4());
        }
        return Ipv6Text.format(hi, lo);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddr a && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 31 + lo);
    }
}
