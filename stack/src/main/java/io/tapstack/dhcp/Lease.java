package io.tapstack.dhcp;

import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv4Address;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What a DHCP server granted (RFC 2131 §4.4.1, options of RFC 2132): the address with its
 * prefix, the router (0 for none), DNS servers, the server that granted it and the lease's times
 * in loop-clock nanoseconds ({@link Long#MAX_VALUE} for an infinite lease).
 */
public record Lease(InterfaceAddress address, int router, List<Integer> dns, int server,
                    long leaseSeconds, long t1At, long t2At, long expiresAt) {
    /** Whether the lease never expires (RFC 2131 §3.3: 0xffffffff). */
    public boolean infinite() {
        return expiresAt == Long.MAX_VALUE;
    }

    @Override
    public String toString() {
        return address + " router=" + (router == 0 ? "none" : Ipv4Address.toString(router))
                + " dns=" + dns.stream().map(Ipv4Address::toString).collect(Collectors.joining(","))
                + " server=" + Ipv4Address.toString(server)
                + " lease=" + (infinite() ? "infinite" : leaseSeconds + "s");
    }
}
