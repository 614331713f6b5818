package io.tapstack;

import io.tapstack.ip.Ipv4;
import io.tapstack.ip.Ipv4Router;
import io.tapstack.ip6.Ipv6;
import io.tapstack.ip6.Ipv6Router;

import java.util.ArrayList;
import java.util.List;

/**
 * A host with several interfaces that forwards between them (RFC 1812): each interface is a
 * {@link NetStack} on its own link, with its own MAC, MTU, offloads, addresses, neighbour caches
 * and connected routes, exactly as a single-interface host; the router joins their IPv4 layers
 * into one routing table ({@link Ipv4Router}, longest prefix over every interface) and, with
 * forwarding on, carries datagrams that are not addressed to it from one interface to another.
 * Every interface runs on one event loop ({@link EventLoop#EventLoop(List, String,
 * io.tapstack.loop.IdlePolicy)}), so a datagram crosses without a copy and without a lock.
 *
 * <p>Without forwarding the interfaces still share the table: a datagram this host sends leaves
 * by the interface the table names (a multi-homed host, RFC 1122 §3.3.4).
 */
public final class Router {
    private final List<NetStack> interfaces;
    private final Ipv4Router ipv4;
    private final Ipv6Router ipv6;
    private boolean started;

    /**
     * @param interfaces the stacks, one per interface, all polled by one thread on one clock
     * @param forward whether datagrams for others are forwarded (router) or dropped (multi-homed host)
     */
    public Router(List<NetStack> interfaces, boolean forward) {
        if (interfaces.isEmpty()) {
            throw new IllegalArgumentException("a router needs at least one interface");
        }
        this.interfaces = List.copyOf(interfaces);
        List<Ipv4> v4 = new ArrayList<>();
        for (NetStack s : interfaces) {
            if (forward && s.gro() != null) {
                // software GRO marks what it merges as checked and leaves the TCP checksum stale:
                // right for local delivery, wrong for a datagram that goes on to another host
                throw new IllegalArgumentException("interface " + s.interfaceName()
                        + ": a forwarding interface needs StackConfig.softwareGro = false");
            }
            v4.add(s.ipv4());
        }
        this.ipv4 = new Ipv4Router(v4, forward);
        if (forward) {
            for (NetStack s : interfaces) {
                s.arp().setUnresolvedHandler(p -> ipv4.nextHopUnreachable(p, s.ipv4()));
            }
        }
        List<Ipv6> v6 = new ArrayList<>();
        for (NetStack s : interfaces) {
            v6.add(s.ipv6());
        }
        this.ipv6 = new Ipv6Router(v6, forward);
    }

    /** The IPv6 side: its table, static routes, forwarding and Router Advertisements. */
    public Ipv6Router ipv6() {
        return ipv6;
    }

    public List<NetStack> interfaces() {
        return interfaces;
    }

    /** The IPv4 side: the routing table over every interface, static routes, forwarding. */
    public Ipv4Router ipv4() {
        return ipv4;
    }

    /** Starts every interface (announcements, DAD) and the Router Advertisements; idempotent. */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        for (NetStack s : interfaces) {
            s.start();
        }
        ipv6.start();
    }

    /** One pass over every interface at time {@code now}; returns the earliest next deadline. */
    public long poll(long now) {
        if (!started) {
            start();
        }
        long next = Long.MAX_VALUE;
        for (NetStack s : interfaces) {
            next = Math.min(next, s.poll(now));
        }
        return next;
    }

    /** The routing tables, one line per route as {@code ip route} and {@code ip -6 route} print them. */
    public List<String> routes() {
        List<String> l = new ArrayList<>(ipv4.describeRoutes());
        l.addAll(ipv6.describeRoutes());
        return l;
    }
}
