package io.tapstack.ip6;

/** Sizes shared by IPv6 and ICMPv6. */
public final class Icmp6Limits {
    /**
     * RFC 4443 §2.4 (c): an error carries as much of the invoking packet as fits without the
     * error exceeding the minimum IPv6 MTU: 1280 − 40 (IPv6) − 8 (ICMPv6).
     */
    public static final int MAX_QUOTE = 1280 - 40 - 8;

    private Icmp6Limits() {
    }
}
