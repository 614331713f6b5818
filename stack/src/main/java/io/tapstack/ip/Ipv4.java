package io.tapstack.ip;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.LocalDelivery;
import io.tapstack.context.NeighbourOutput;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.stats.Counters;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * IPv4 input and output for a host (RFC 791, RFC 1122 §3.2.1): header validation, address
 * checks, local delivery, reassembly, routing, fragmentation; with its ICMP ({@link Icmp}).
 */
public final class Ipv4 {
    private final StackContext ctx;
    private final LinkOutput link;
    private final NeighbourOutput neighbours;
    private final StackConfig config;
    private final Counters<Ipv4Counter> counters;
    private final RoutingTable routes = new RoutingTable();
    private final Ipv4Reassembler reassembler;
    private final Icmp icmp;
    private final IpProtocolHandler[] handlers = new IpProtocolHandler[256];
    private final Ipv4Header hdr = new Ipv4Header();
    private final IpMeta meta = new IpMeta();
    private int nextId = ThreadLocalRandom.current().nextInt(0x10000);
    private LocalDelivery local;
    /** The router this interface belongs to (router mode), or null for a host. */
    private Ipv4Router router;
    private int ifIndex = -1;

    /**
     * @param link the link below (its MTU)
     * @param neighbours where routed packets go: next-hop resolution (ARP)
     */
    public Ipv4(StackContext ctx, LinkOutput link, StackConfig config, NeighbourOutput neighbours) {
        this.ctx = ctx;
        this.link = link;
        this.neighbours = neighbours;
        this.config = config;
        this.counters = ctx.stats().register("ip", Ipv4Counter.class);
        this.reassembler = new Ipv4Reassembler(ctx, config, this, counters);
        for (InterfaceAddress a : config.ipv4) {
            routes.add(new Route(a.network(), a.prefixLength(), 0, a.address()));
        }
        if (config.gateway4 != 0 && !config.ipv4.isEmpty()) {
            int src = config.ipv4.get(0).address();
            for (InterfaceAddress a : config.ipv4) {
                if (a.contains(config.gateway4)) {
                    src = a.address();
                }
            }
            routes.add(new Route(0, 0, config.gateway4, src));
        }
        this.icmp = new Icmp(ctx, config, this);
    }

    public Counters<Ipv4Counter> counters() {
        return counters;
    }

    public RoutingTable routes() {
        return routes;
    }

    public Ipv4Reassembler reassembler() {
        return reassembler;
    }

    /** ICMP for IPv4, registered as protocol 1. */
    public Icmp icmp() {
        return icmp;
    }

    /**
     * Where datagrams to this host's own addresses and to 127.0.0.0/8 go instead of the link
     * (RFC 1122 §3.3.6 spirit); null (the default) sends them to the link like any other.
     */
    public void setLocalDelivery(LocalDelivery d) {
        this.local = d;
    }

    /**
     * Joins this interface to a router (called by {@link Ipv4Router}): datagrams not addressed to
     * this interface go to {@link Ipv4Router#forward} instead of being dropped, and output
     * follows the router's table over all interfaces.
     */
    void attachRouter(Ipv4Router r, int index) {
        this.router = r;
        this.ifIndex = index;
    }

    /** This interface's index in its router, or -1 for a host. */
    public int interfaceIndex() {
        return ifIndex;
    }

    /** The L3 MTU of this interface's link. */
    public int mtu() {
        return link.mtu();
    }

    /** The interface's name (its link's). */
    public String interfaceName() {
        return link.interfaceName();
    }

    /** This interface's configured IPv4 addresses. */
    public java.util.List<InterfaceAddress> addresses() {
        return config.ipv4;
    }

    /** A buffer from this interface's loop (counted when the pool is empty). */
    PacketBuf allocate(int size) {
        return ctx.allocate(size);
    }

    /** Hands a finished datagram to the neighbour layer towards {@code nextHop} (forwarding). */
    void transmitTo(PacketBuf p, int nextHop) {
        counters.inc(Ipv4Counter.TX);
        neighbours.output(p, nextHop);
    }

    /** Whether {@code a} is this interface's subnet broadcast or the limited broadcast. */
    boolean isBroadcastAddress(int a) {
        return isBroadcast(a);
    }

    /** Whether a datagram to {@code dst} stays inside this host (a loopback or own address). */
    public boolean staysLocal(int dst) {
        return local != null && (Ipv4Address.isLoopback(dst) || isLocal(dst));
    }

    /** Attaches a transport for an IP protocol number. */
    public void register(int protocol, IpProtocolHandler h) {
        handlers[protocol] = h;
    }

    public IpProtocolHandler handler(int protocol) {
        return handlers[protocol];
    }

    /** The source address to use towards {@code dst} (RFC 1122 §3.3.4.3), or 0 without a route. */
    public int sourceFor(int dst) {
        if (staysLocal(dst)) {
            return dst; // to itself a host speaks from the address it talks to (as Linux's "lo")
        }
        Route r = routes.lookup(dst);
        if (r != null) {
            return r.source();
        }
        return config.ipv4.isEmpty() ? 0 : config.ipv4.get(0).address();
    }

    /**
     * Adds an address learnt at run time (DHCP, RFC 2131 §4.4.1) with its connected route and,
     * if {@code gateway} is not 0, a default route through it. Loop thread only.
     */
    public void addAddress(InterfaceAddress a, int gateway) {
        if (!config.ipv4.contains(a)) {
            config.ipv4.add(a);
            routes.add(new Route(a.network(), a.prefixLength(), 0, a.address()));
        }
        if (gateway != 0) {
            routes.removeIf(r -> r.length() == 0 && r.source() == a.address());
            routes.add(new Route(0, 0, gateway, a.address()));
        }
    }

    /** Removes an address added by {@link #addAddress} and every route that uses it as source. */
    public void removeAddress(InterfaceAddress a) {
        config.ipv4.remove(a);
        routes.removeIf(r -> r.source() == a.address());
    }

    public boolean isLocal(int a) {
        for (int i = 0, n = config.ipv4.size(); i < n; i++) { // per packet: no iterator
            InterfaceAddress ia = config.ipv4.get(i);
            if (ia.address() == a) {
                return true;
            }
        }
        return false;
    }

    private boolean isBroadcast(int a) {
        if (a == Ipv4Address.BROADCAST) {
            return true;
        }
        for (int i = 0, n = config.ipv4.size(); i < n; i++) { // per packet: no iterator
            InterfaceAddress ia = config.ipv4.get(i);
            if (ia.broadcast() != 0 && ia.broadcast() == a) {
                return true;
            }
        }
        return false;
    }

    /** Handles a received IPv4 packet (window: IP header onward). Takes ownership. */
    public void input(PacketBuf p, long ethSrc, long ethDst) {
        counters.inc(Ipv4Counter.RX);
        hdr.wrap(p.buf(), p.start(), p.length());
        Ipv4Header.Error err = hdr.check(true);
        if (err != Ipv4Header.Error.NONE) {
            drop(p, switch (err) {
                case TRUNCATED -> Ipv4Counter.DROP_TRUNCATED;
                case BAD_VERSION -> Ipv4Counter.DROP_BAD_VERSION;
                case BAD_IHL -> Ipv4Counter.DROP_BAD_IHL;
                case BAD_TOTAL_LENGTH -> Ipv4Counter.DROP_BAD_TOTAL_LENGTH;
                default -> Ipv4Counter.DROP_BAD_CHECKSUM;
            });
            return;
        }
        int src = hdr.src();
        int dst = hdr.dst();
        // RFC 1122 §3.2.1.3: a source that is broadcast, multicast, class E, loopback or
        // "this network" is martian; silently discard.
        if (Ipv4Address.isMulticast(src) || src == Ipv4Address.BROADCAST || Ipv4Address.isClassE(src)
                || Ipv4Address.isLoopback(src) || Ipv4Address.isThisNetwork(src) || isBroadcast(src)) {
            drop(p, Ipv4Counter.DROP_BAD_SRC_ADDRESS);
            return;
        }
        boolean bcast = isBroadcast(dst);
        // A host accepts its own addresses, broadcasts, and all-hosts multicast (RFC 1112 §7.2).
        boolean mcast = Ipv4Address.isMulticast(dst) && dst == 0xe0000001;
        if (!isLocal(dst) && !bcast && !mcast) {
            if (router != null) {
                p.trim(hdr.totalLength());
                p.l3 = p.start();
                router.forward(p, this, ethDst);
                return;
            }
            // RFC 1122 §3.3.1.1: a host does not forward; silently discard.
            drop(p, Ipv4Counter.DROP_NOT_FOR_US);
            return;
        }
        // Cut Ethernet padding: the datagram is totalLength bytes.
        p.trim(hdr.totalLength());
        p.l3 = p.start();
        receiveLocal(p, bcast || mcast);
    }

    /**
     * Local input of a received datagram (trimmed, l3 set) addressed to this host: reassembly
     * if it is a fragment, then delivery. The router calls it for a datagram that arrived on
     * this interface for another interface's address (RFC 1812 §5.2.3: such a datagram is the
     * router's own).
     */
    void receiveLocal(PacketBuf p, boolean bcastOrMcast) {
        hdr.wrap(p.buf(), p.start(), p.length());
        if (hdr.isFragment()) {
            counters.inc(Ipv4Counter.RX_FRAGMENTS);
            reassembler.input(p, hdr);
            return;
        }
        deliver(p, bcastOrMcast);
    }

    /**
     * Input of a datagram this host sent to itself ({@link LocalDelivery}): it was built here, so
     * none of the checks of {@link #input} for what comes off a wire apply (RFC 1122 §3.2.1.3
     * forbids a loopback source only on the wire).
     */
    public void inputLocal(PacketBuf p) {
        counters.inc(Ipv4Counter.RX);
        p.l3 = p.start();
        p.gsoType = 0; // one datagram, however large: nothing was cut
        p.gsoSize = 0;
        deliver(p, false);
    }

    /** Local delivery of a complete datagram whose window starts at its IP header. */
    void deliver(PacketBuf p, boolean bcastOrMcast) {
        hdr.wrap(p.buf(), p.start(), p.length());
        int proto = hdr.protocol();
        IpProtocolHandler h = handlers[proto];
        meta.version = 4;
        meta.srcHi = 0;
        meta.srcLo = IpAddr.mappedLo(hdr.src());
        meta.dstHi = 0;
        meta.dstLo = IpAddr.mappedLo(hdr.dst());
        meta.ttl = hdr.ttl();
        meta.tos = hdr.tos();
        meta.l3 = p.start();
        meta.dstBroadcastOrMulticast = bcastOrMcast;
        // DATA_VALID, or NEEDS_CSUM: the kernel handed us its own memory and simply has not
        // computed the checksum yet (virtio spec §5.1.6.2.1), so there is nothing to verify
        meta.checksumValid = p.csumState != PacketBuf.CSUM_NONE;
        if (h == null) {
            counters.inc(Ipv4Counter.DROP_UNKNOWN_PROTOCOL);
            // RFC 1122 §3.2.2.1: protocol unreachable (not for broadcast/multicast; Icmp checks)
            icmp.sendUnreachable(p, io.tapstack.wire.Icmpv4.UNREACH_PROTOCOL, 0, bcastOrMcast);
            p.release();
            return;
        }
        counters.inc(Ipv4Counter.RX_DELIVERED);
        p.l4 = p.pull(hdr.headerLength());
        h.input(p, meta);
    }

    private void drop(PacketBuf p, Ipv4Counter why) {
        counters.inc(why);
        p.release();
    }

    /** Result of {@link #output}. */
    public enum Result { OK, NO_ROUTE, TOO_BIG, NO_BUFFER }

    /**
     * Sends a datagram. The window of {@code p} is the transport payload (with headroom for
     * the headers); this pushes the IPv4 header, routes, fragments when needed (RFC 791 §3.2)
     * and hands it to ARP. Takes ownership of {@code p} in every case.
     *
     * @param src source address, or 0 to choose one from the route
     * @param df set Don't Fragment (PMTU discovery, RFC 1191)
     */
    public Result output(PacketBuf p, int src, int dst, int protocol, int ttl, int tos, boolean df) {
        return output(p, src, dst, protocol, ttl, tos, df, 0);
    }

    /**
     * As {@link #output(PacketBuf, int, int, int, int, int, boolean)}, with IP options: the first
     * {@code optLen} bytes of the window (a multiple of 4, at most 40) are options, already
     * padded, that go into the header. A datagram with options that would need fragmenting is
     * sent without them, and so is one to this host itself (only the echo reply uses options, and RFC 791 copies neither Record
     * Route nor Timestamp into later fragments).
     */
    public Result output(PacketBuf p, int src, int dst, int protocol, int ttl, int tos, boolean df, int optLen) {
        if (optLen > 0 && (optLen > 40 || (optLen & 3) != 0 || p.length() + Ipv4Header.MIN_LENGTH > link.mtu() || p.gsoType != 0
                || staysLocal(dst))) {
            p.pull(Math.min(optLen, p.length()));
            optLen = 0;
        }
        if (staysLocal(dst)) {
            return outputLocal(p, src == 0 ? dst : src, dst, protocol, ttl, tos);
        }
        if (router != null) {
            // a router's own datagrams leave by the interface its table names (RFC 1812 §5.2.4.3)
            Ipv4 out = router.interfaceFor(dst);
            if (out != null && out != this) {
                return out.output(p, src, dst, protocol, ttl, tos, df, optLen);
            }
        }
        Route r = routes.lookup(dst);
        boolean local = dst == Ipv4Address.BROADCAST || Ipv4Address.isMulticast(dst);
        if (r == null && !local) {
            counters.inc(Ipv4Counter.DROP_NO_ROUTE);
            p.release();
            return Result.NO_ROUTE;
        }
        if (src == 0) {
            src = r != null ? r.source() : sourceFor(dst);
        }
        int nextHop = r == null || r.onLink() ? dst : r.gateway();
        int total = p.length() + Ipv4Header.MIN_LENGTH;
        int id = nextId++ & 0xffff;
        int mtu = link.mtu();
        if (total <= mtu || (p.gsoType != 0)) {
            int at = p.push(Ipv4Header.MIN_LENGTH);
            p.l3 = at;
            Ipv4Header.emit(p.buf(), at, tos, total, id, df ? Ipv4Header.FLAG_DF : 0, ttl, protocol, src, dst);
            if (optLen > 0) {
                // the options follow the fixed header in the buffer already: widen IHL, checksum again (RFC 791 §3.1)
                int hl = Ipv4Header.MIN_LENGTH + optLen;
                p.buf().put(at + Ipv4Header.VER_IHL, (byte) (0x40 | hl / 4));
                p.buf().putShort(at + Ipv4Header.CHECKSUM, (short) 0);
                p.buf().putShort(at + Ipv4Header.CHECKSUM, (short) io.tapstack.wire.Checksum.compute(p.buf(), at, hl));
            }
            counters.inc(Ipv4Counter.TX);
            neighbours.output(p, nextHop);
            return Result.OK;
        }
        if (df) {
            counters.inc(Ipv4Counter.DROP_DF_TOO_BIG);
            p.release();
            return Result.TOO_BIG;
        }
        return fragment(p, src, dst, protocol, ttl, tos, id, nextHop, mtu);
    }

    /**
     * A datagram to this host itself: no route, no fragmentation (it never meets a link MTU),
     * straight to {@link LocalDelivery} with its header.
     */
    private Result outputLocal(PacketBuf p, int src, int dst, int protocol, int ttl, int tos) {
        int total = p.length() + Ipv4Header.MIN_LENGTH;
        if (total > 0xffff) {
            counters.inc(Ipv4Counter.DROP_DF_TOO_BIG);
            p.release();
            return Result.TOO_BIG;
        }
        int at = p.push(Ipv4Header.MIN_LENGTH);
        p.l3 = at;
        Ipv4Header.emit(p.buf(), at, tos, total, nextId++ & 0xffff, 0, ttl, protocol, src, dst);
        counters.inc(Ipv4Counter.TX);
        return local.deliverLocal(p) ? Result.OK : Result.NO_BUFFER;
    }

    /** RFC 791 §3.2 fragmentation: payload split into multiples of 8 bytes, MF on all but the last. */
    private Result fragment(PacketBuf p, int src, int dst, int protocol, int ttl, int tos, int id, int nextHop, int mtu) {
        int chunk = (mtu - Ipv4Header.MIN_LENGTH) & ~7;
        int len = p.length();
        ByteBuffer b = p.buf();
        counters.inc(Ipv4Counter.TX_FRAGMENTED);
        Result res = Result.OK;
        for (int off = 0; off < len; off += chunk) {
            int n = Math.min(chunk, len - off);
            PacketBuf f = ctx.allocate(n + Ipv4Header.MIN_LENGTH);
            if (f == null) {
                counters.inc(Ipv4Counter.DROP_NO_BUFFER);
                res = Result.NO_BUFFER;
                break;
            }
            int at = f.append(n);
            f.buf().put(at, b, p.start() + off, n);
            int ff = (off >>> 3) | (off + n < len ? Ipv4Header.FLAG_MF : 0);
            int h = f.push(Ipv4Header.MIN_LENGTH);
            f.l3 = h;
            Ipv4Header.emit(f.buf(), h, tos, n + Ipv4Header.MIN_LENGTH, id, ff, ttl, protocol, src, dst);
            counters.inc(Ipv4Counter.TX);
            counters.inc(Ipv4Counter.TX_FRAGMENTS_CREATED);
            neighbours.output(f, nextHop);
        }
        p.release();
        return res;
    }
}
