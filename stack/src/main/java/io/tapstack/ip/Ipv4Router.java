package io.tapstack.ip;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.MacAddress;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv4 forwarding between the interfaces of one router (RFC 1812 §5.2, §5.3). Every interface
 * is an {@link Ipv4} (with its own link, MTU, addresses, ARP cache and routing table: its
 * connected routes and the static routes whose gateway is on it); the router's table is their
 * union, searched longest prefix first (§5.2.4.3). All interfaces run on one event loop, so a
 * datagram crosses from one to another without a copy and without a lock.
 *
 * <p>Per datagram, in order: not forwarded if it came in a link-layer broadcast (§5.3.4), is to
 * a broadcast or multicast address (§5.3.5), a martian destination (§5.3.7) or link-local
 * (RFC 3927 §2.7); delivered locally if it is to another interface's address; Time Exceeded
 * when the TTL runs out (§5.3.1); Destination Unreachable (net) without a route (§5.2.7.1);
 * Fragmentation Needed with the next hop's MTU when it is too big and DF is set (RFC 1191 §4),
 * else fragmented (§5.2.6); TTL decremented with the incremental checksum update of RFC 1624;
 * a Redirect when it leaves by the interface it came in on towards a source on that link
 * (§5.2.7.2). ICMP errors share each interface's rate limit (§4.3.2.8).
 */
public final class Ipv4Router {
    private final List<Ipv4> ifaces = new ArrayList<>();
    private final Ipv4Header hdr = new Ipv4Header();
    /** The copied options of the datagram being fragmented (RFC 791 §3.1: copied flag). */
    private final byte[] copied = new byte[60];
    /** Set by {@link #lookup}: the best route found (no allocation per datagram). */
    private Route found;
    private boolean redirects = true;
    private final boolean forwarding;

    /**
     * Joins the interfaces, in order (their index is their position).
     *
     * @param forwarding false for a multi-homed host: one table, but what is not addressed to it is dropped (RFC 1122 §3.3.1.1)
     */
    public Ipv4Router(List<Ipv4> interfaces, boolean forwarding) {
        this.forwarding = forwarding;
        for (Ipv4 ip : interfaces) {
            ip.attachRouter(this, ifaces.size());
            ifaces.add(ip);
        }
    }

    public boolean forwarding() {
        return forwarding;
    }

    public List<Ipv4> interfaces() {
        return List.copyOf(ifaces);
    }

    /** Sends Redirects (default: yes, as RFC 1812 §5.2.7.2 says a router SHOULD). */
    public void setRedirects(boolean on) {
        this.redirects = on;
    }

    /**
     * Adds a static route {@code prefix/length via gateway} (length 0: the default route) on the
     * interface whose subnet holds the gateway. Throws when no interface is on the gateway's link.
     */
    public void addRoute(int prefix, int length, int gateway) {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("prefix length " + length + " out of 0..32");
        }
        for (Ipv4 ip : ifaces) {
            for (InterfaceAddress a : ip.addresses()) {
                if (a.contains(gateway)) {
                    ip.routes().add(new Route(prefix & Ipv4Address.mask(length), length, gateway, a.address()));
                    return;
                }
            }
        }
        throw new IllegalArgumentException("gateway " + Ipv4Address.toString(gateway) + " is not on any interface's subnet");
    }

    /** The interface the table sends {@code dst} out of, or null without a route. */
    public Ipv4 interfaceFor(int dst) {
        return lookup(dst);
    }

    /** Longest prefix over every interface's table; sets {@link #found}. */
    private Ipv4 lookup(int dst) {
        Ipv4 best = null;
        Route br = null;
        for (int i = 0; i < ifaces.size(); i++) {
            Ipv4 ip = ifaces.get(i);
            Route r = ip.routes().lookup(dst);
            // longest prefix wins; on a tie a connected route beats one via a gateway, then the first interface
            if (r != null && (br == null || r.length() > br.length() || (r.length() == br.length() && r.onLink() && !br.onLink()))) {
                best = ip;
                br = r;
            }
        }
        found = br;
        return best;
    }

    /** The table as {@code ip route} prints it: one line per route with its interface. */
    public List<String> describeRoutes() {
        List<Route> all = new ArrayList<>();
        List<String> dev = new ArrayList<>();
        for (Ipv4 ip : ifaces) {
            for (Route r : ip.routes().routes()) {
                all.add(r);
                dev.add(ip.interfaceName());
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            order.add(i);
        }
        order.sort((x, y) -> Integer.compare(all.get(y).length(), all.get(x).length()));
        List<String> out = new ArrayList<>();
        for (int i : order) {
            out.add(describe(all.get(i), dev.get(i)));
        }
        return out;
    }

    /** One route as {@code ip route} prints it, on interface {@code dev}. */
    public static String describe(Route r, String dev) {
        String dst = r.length() == 0 ? "default" : Ipv4Address.toString(r.prefix()) + "/" + r.length();
        return dst + (r.onLink() ? "" : " via " + Ipv4Address.toString(r.gateway())) + " dev " + dev
                + (r.onLink() ? " proto kernel scope link" : "") + " src " + Ipv4Address.toString(r.source());
    }

    private static boolean isLinkLocal(int a) {
        return (a >>> 16) == 0xa9fe; // 169.254.0.0/16
    }

    /**
     * Forwards a datagram that arrived on {@code in} and is not addressed to it (window and l3:
     * the IPv4 header, trimmed to its total length, header already validated). Takes ownership.
     */
    void forward(PacketBuf p, Ipv4 in, long ethDst) {
        io.tapstack.stats.Counters<Ipv4Counter> c = in.counters();
        if (!forwarding) {
            drop(p, c, Ipv4Counter.DROP_NOT_FOR_US);
            return;
        }
        ByteBuffer b = p.buf();
        int l3 = p.start();
        hdr.wrap(b, l3, p.length());
        int src = hdr.src();
        int dst = hdr.dst();
        if (MacAddress.isMulticast(ethDst)) {
            // RFC 1812 §5.3.4: a unicast datagram in a link-layer broadcast is not forwarded
            drop(p, c, Ipv4Counter.FWD_DROP_LINK_BROADCAST);
            return;
        }
        if (dst == Ipv4Address.BROADCAST || Ipv4Address.isMulticast(dst)) {
            // RFC 1812 §5.3.5.1 limited broadcast is never forwarded; no multicast routing here
            drop(p, c, Ipv4Counter.FWD_DROP_BROADCAST);
            return;
        }
        if (Ipv4Address.isThisNetwork(dst) || Ipv4Address.isLoopback(dst) || Ipv4Address.isClassE(dst)) {
            drop(p, c, Ipv4Counter.FWD_DROP_MARTIAN); // RFC 1812 §5.3.7
            return;
        }
        if (isLinkLocal(src) || isLinkLocal(dst)) {
            drop(p, c, Ipv4Counter.FWD_DROP_LINK_LOCAL); // RFC 3927 §2.7
            return;
        }
        for (int i = 0; i < ifaces.size(); i++) {
            Ipv4 ip = ifaces.get(i);
            if (ip.isLocal(dst)) {
                // RFC 1812 §5.2.3 (and RFC 1122's weak host model): to any of the router's addresses
                in.receiveLocal(p, false);
                return;
            }
            if (ip.isBroadcastAddress(dst)) {
                // RFC 1812 §5.3.5.2: forwarding directed broadcasts is off by default (as in Linux)
                drop(p, c, Ipv4Counter.FWD_DROP_BROADCAST);
                return;
            }
        }
        int ttl = hdr.ttl();
        if (ttl <= 1) {
            // RFC 1812 §5.3.1: the TTL would reach zero: Time Exceeded (code 0) to the source
            in.icmp().sendErrorAbout(p, Icmpv4.TIME_EXCEEDED, Icmpv4.TIME_EXCEEDED_TTL, 0);
            drop(p, c, Ipv4Counter.FWD_DROP_TTL_EXCEEDED);
            return;
        }
        Ipv4 out = lookup(dst);
        if (out == null) {
            // RFC 1812 §5.2.7.1: no route: Destination Unreachable, network unreachable
            in.icmp().sendErrorAbout(p, Icmpv4.DEST_UNREACHABLE, Icmpv4.UNREACH_NET, 0);
            drop(p, c, Ipv4Counter.FWD_DROP_NO_ROUTE);
            return;
        }
        Route r = found;
        int nextHop = r.onLink() ? dst : r.gateway();
        int mtu = out.mtu();
        int hl = hdr.headerLength();
        boolean df = hdr.dontFragment();
        int wire = p.length();
        if (p.gsoType != 0) {
            // a GSO frame leaves as segments of gsoSize (by the device, or Gso in software): each must fit
            int l4 = l3 + hl;
            int thl = p.length() > hl + 12 ? ((b.get(l4 + 12) & 0xf0) >>> 2) : 0;
            wire = hl + thl + p.gsoSize;
        }
        if (wire > mtu && (df || p.gsoType != 0)) {
            // RFC 1191 §4: Fragmentation Needed and DF set, with the next hop's MTU in the low 16 bits
            in.icmp().sendErrorAbout(p, Icmpv4.DEST_UNREACHABLE, Icmpv4.UNREACH_NEEDFRAG, mtu & 0xffff);
            drop(p, c, Ipv4Counter.FWD_DROP_DF_TOO_BIG);
            return;
        }
        decrementTtl(b, l3);
        if (out == in && redirects && sourceOnLink(in, src)) {
            // RFC 1812 §5.2.7.2: it leaves by the link it came in on, and its source is on that
            // link: tell the source the better first hop (host redirect, code 1), and forward anyway
            in.icmp().sendErrorAbout(p, Icmpv4.REDIRECT, 1, nextHop);
            c.inc(Ipv4Counter.FWD_REDIRECT_SENT);
        }
        c.inc(Ipv4Counter.FORWARDED);
        if (wire > mtu) {
            c.inc(Ipv4Counter.FWD_FRAGMENTED);
            if (p.csumState == PacketBuf.CSUM_PARTIAL) {
                io.tapstack.link.Gso.finishChecksum(p); // the fragments carry the data as it will be read
            }
            fragment(p, out, nextHop, mtu);
            return;
        }
        out.transmitTo(p, nextHop);
    }

    /**
     * A forwarded datagram waited in {@code out}'s ARP queue for a next hop that never answered:
     * Destination Unreachable, host unreachable, to its source (RFC 1812 §5.2.7.1), unless the
     * router sent it itself. The caller releases {@code p}.
     */
    public void nextHopUnreachable(PacketBuf p, Ipv4 out) {
        int l3 = p.l3 >= 0 ? p.l3 : p.start();
        if (p.end() - l3 < Ipv4Header.MIN_LENGTH) {
            return;
        }
        int src = p.buf().getInt(l3 + Ipv4Header.SRC);
        for (Ipv4 ip : ifaces) {
            if (ip.isLocal(src)) {
                return;
            }
        }
        out.counters().inc(Ipv4Counter.FWD_HOST_UNREACHABLE);
        out.icmp().sendErrorAbout(p, Icmpv4.DEST_UNREACHABLE, Icmpv4.UNREACH_HOST, 0);
    }

    private static boolean sourceOnLink(Ipv4 in, int src) {
        List<InterfaceAddress> as = in.addresses();
        for (int i = 0; i < as.size(); i++) {
            if (as.get(i).contains(src)) {
                return true;
            }
        }
        return false;
    }

    /**
     * TTL − 1 with the header checksum updated incrementally (RFC 1624 eqn. 3:
     * HC' = ~(~HC + ~m + m'), m the 16-bit word holding TTL and protocol).
     */
    static void decrementTtl(ByteBuffer b, int l3) {
        int m = b.getShort(l3 + Ipv4Header.TTL) & 0xffff;
        int m2 = (m - 0x0100) & 0xffff;
        int hc = b.getShort(l3 + Ipv4Header.CHECKSUM) & 0xffff;
        int sum = (~hc & 0xffff) + (~m & 0xffff) + m2;
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        b.putShort(l3 + Ipv4Header.TTL, (short) m2);
        b.putShort(l3 + Ipv4Header.CHECKSUM, (short) ~sum);
    }

    /**
     * RFC 1812 §5.2.6 / RFC 791 §3.2: cuts a datagram (already TTL-decremented, DF clear) into
     * fragments that fit {@code mtu}, keeping identification, and the original offset and MF
     * when it was a fragment itself; options go whole into the first fragment and only those
     * with the copied flag into the others.
     */
    private void fragment(PacketBuf p, Ipv4 out, int nextHop, int mtu) {
        ByteBuffer b = p.buf();
        int l3 = p.start();
        hdr.wrap(b, l3, p.length());
        int hl = hdr.headerLength();
        int payload = hdr.totalLength() - hl;
        int ff = hdr.flagsFrag();
        int base = (ff & Ipv4Header.FRAG_OFFSET_MASK) * 8;
        boolean lastMf = (ff & Ipv4Header.FLAG_MF) != 0;
        // the header of later fragments: the fixed 20 bytes and the copied options (RFC 791 §3.1)
        int chl = Ipv4Header.MIN_LENGTH;
        b.get(l3, copied, 0, Ipv4Header.MIN_LENGTH);
        for (int o = l3 + Ipv4Header.MIN_LENGTH; o < l3 + hl; ) {
            int type = b.get(o) & 0xff;
            if (type == 0) {
                break; // end of option list
            }
            if (type == 1) {
                o++; // no-operation
                continue;
            }
            int len = o + 1 < l3 + hl ? b.get(o + 1) & 0xff : 0;
            if (len < 2 || o + len > l3 + hl) {
                break; // malformed: copy no more
            }
            if ((type & 0x80) != 0) {
                b.get(o, copied, chl, len);
                chl += len;
            }
            o += len;
        }
        while ((chl & 3) != 0) {
            copied[chl++] = 0; // pad with end-of-options to a multiple of 4
        }
        for (int off = 0; off < payload; ) {
            boolean first = off == 0;
            int fhl = first ? hl : chl;
            int n = Math.min(payload - off, (mtu - fhl) & ~7);
            if (n <= 0) {
                break; // cannot happen with mtu ≥ 68 (RFC 791)
            }
            PacketBuf f = out.allocate(fhl + n);
            if (f == null) {
                out.counters().inc(Ipv4Counter.DROP_NO_BUFFER);
                break;
            }
            int at = f.append(fhl + n);
            ByteBuffer fb = f.buf();
            if (first) {
                fb.put(at, b, l3, hl);
            } else {
                fb.put(at, copied, 0, chl);
                fb.put(at + Ipv4Header.VER_IHL, (byte) (0x40 | (chl >>> 2)));
            }
            fb.put(at + fhl, b, l3 + hl + off, n);
            boolean more = off + n < payload || lastMf;
            fb.putShort(at + Ipv4Header.TOTAL_LENGTH, (short) (fhl + n));
            fb.putShort(at + Ipv4Header.FLAGS_FRAG, (short) ((more ? Ipv4Header.FLAG_MF : 0) | ((base + off) >>> 3)));
            fb.putShort(at + Ipv4Header.CHECKSUM, (short) 0);
            fb.putShort(at + Ipv4Header.CHECKSUM, (short) io.tapstack.wire.Checksum.compute(fb, at, fhl));
            f.l3 = at;
            out.counters().inc(Ipv4Counter.TX_FRAGMENTS_CREATED);
            out.transmitTo(f, nextHop);
            off += n;
        }
        p.release();
    }

    private static void drop(PacketBuf p, io.tapstack.stats.Counters<Ipv4Counter> c, Ipv4Counter why) {
        c.inc(why);
        p.release();
    }
}
