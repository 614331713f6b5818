package io.tapstack.ip;

import io.tapstack.wire.Ipv4Address;

/**
 * An IPv4 route: destinations matching {@code prefix/length} go to {@code gateway}, or are on
 * the link when gateway is 0.
 */
public record Route(int prefix, int length, int gateway, int source) {
    public boolean matches(int dst) {
        int m = Ipv4Address.mask(length);
        return (dst & m) == (prefix & m);
    }

    public boolean onLink() {
        return gateway == 0;
    }

    @Override
    public String toString() {
        return Ipv4Address.toString(prefix) + "/" + length
                + (onLink() ? " dev" : " via " + Ipv4Address.toString(gateway))
                + " src " + Ipv4Address.toString(source);
    }
}
