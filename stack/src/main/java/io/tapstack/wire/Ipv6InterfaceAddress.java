package io.tapstack.wire;


/** A statically configured IPv6 address with its prefix length (e.g. {@code 2001:db8::2/64}). */
public record Ipv6InterfaceAddress(long hi, long lo, int prefixLength) {
    /** Parses {@code ADDR/LEN}; throws IllegalArgumentException with a clear message. */
    public static Ipv6InterfaceAddress parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid IPv6 address '" + s + "': expected ADDR/LEN such as 2001:db8::2/64");
        }
        IpAddr a = IpAddr.parse(s.substring(0, slash));
        if (a.isV4()) {
            throw new IllegalArgumentException("'" + s + "' is not an IPv6 address");
        }
        int len;
        try {
            len = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid prefix length in '" + s + "'");
        }
        if (len < 0 || len > 128) {
            throw new IllegalArgumentException("invalid prefix length in '" + s + "': must be 0..128");
        }
        if (Ipv6Address.isMulticast(a.hi()) || Ipv6Address.isUnspecified(a.hi(), a.lo())
                || Ipv6Address.isLoopback(a.hi(), a.lo())) {
            throw new IllegalArgumentException("'" + s + "' is not a usable unicast host address");
        }
        return new Ipv6InterfaceAddress(a.hi(), a.lo(), len);
    }

    public boolean contains(long h, long l) {
        return Ipv6Address.inPrefix(h, l, hi, lo, prefixLength);
    }

    @Override
    public String toString() {
        return Ipv6Address.toString(hi, lo) + "/" + prefixLength;
    }
}
