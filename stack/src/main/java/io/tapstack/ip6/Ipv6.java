package io.tapstack.ip6;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.LocalDelivery;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.ip.IpMeta;
import io.tapstack.ip.IpProtocolHandler;
import io.tapstack.stats.Counters;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6ExtHeader;
import io.tapstack.wire.Ipv6FragmentHeader;
import io.tapstack.wire.Ipv6Header;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv6 input and output for a host (RFC 8200): header validation, the extension-header chain
 * (Hop-by-Hop, Destination Options, Routing, Fragment) walked with bounds and option actions
 * honoured, reassembly, local delivery to the transports registered by Next Header value,
 * source address selection (RFC 6724), path MTU and fragmentation on output.
 *
 * <p>The interface's addresses and multicast memberships live here; Neighbor Discovery
 * ({@link io.tapstack.ip6.Ndp}) adds and removes them and resolves next hops.
 */
public final class Ipv6 {
    /** Most extension headers walked in one packet (a bound against crafted chains). */
    static final int MAX_EXT_HEADERS = 16;

    /** Result of {@link #output}. */
    public enum Result { OK, NO_ROUTE, TOO_BIG, NO_BUFFER }

    private final StackContext ctx;
    private final LinkOutput link;
    private final StackConfig config;
    private final Counters<Ipv6Counter> counters;
    private final IpProtocolHandler[] handlers = new IpProtocolHandler[256];
    private final Ipv6Header hdr = new Ipv6Header();
    private final Ipv6ExtHeader ext = new Ipv6ExtHeader();
    private final Ipv6FragmentHeader frag = new Ipv6FragmentHeader();
    private final IpMeta meta = new IpMeta();
    private final Ipv6Reassembler reassembler;
    private final Icmp6 icmp6;
    private final Ndp ndp;
    private final PathMtuCache pmtu;
    private final List<LocalAddress> addresses = new ArrayList<>();
    // multicast memberships (small): group address and a reference count
    private long[] groupHi = new long[8];
    private long[] groupLo = new long[8];
    private int[] groupRefs = new int[8];
    private int groups;
    private int linkMtu;
    private int curHopLimit;
    private LocalDelivery local;
    /** The router this interface belongs to (router mode), or null for a host. */
    private Ipv6Router router;

    /** Builds IPv6 with its ICMPv6 ({@link Icmp6}) and Neighbor Discovery ({@link Ndp}). */
    public Ipv6(StackContext ctx, LinkOutput link, StackConfig config) {
        this.ctx = ctx;
        this.link = link;
        this.config = config;
        this.counters = ctx.stats().register("ip6", Ipv6Counter.class);
        this.reassembler = new Ipv6Reassembler(ctx, config, this, counters);
        this.pmtu = new PathMtuCache(config.pmtuCacheSize, config.pmtuAgingNanos, counters);
        this.linkMtu = link.mtu();
        this.curHopLimit = config.hopLimit;
        this.icmp6 = new Icmp6(ctx, config, this);
        this.ndp = new Ndp(ctx, link, config, this);
    }

    /** Joins this interface to a router (called by {@link Ipv6Router}). */
    void attachRouter(Ipv6Router r) {
        this.router = r;
    }

    /** The router this interface belongs to, or null for a host. */
    public Ipv6Router router() {
        return router;
    }

    /** The static addresses of this interface with their on-link prefixes (its connected routes). */
    List<io.tapstack.wire.Ipv6InterfaceAddress> configuredAddresses() {
        return config.ipv6;
    }

    /** The interface's name (its link's). */
    public String interfaceName() {
        return link.interfaceName();
    }

    /** A buffer from this interface's loop. */
    PacketBuf allocate(int size) {
        return ctx.allocate(size);
    }

    /** This interface's time of the current pass. */
    long now() {
        return ctx.now();
    }

    /** This interface's MAC. */
    long mac() {
        return link.mac();
    }

    /** The stack's random numbers. */
    java.util.Random random() {
        return ctx.random();
    }

    /** Sends a finished packet (window: IPv6 header) in a frame to {@code mac}. */
    void sendFrame(PacketBuf p, long mac, int etherType) {
        link.transmitFrame(p, mac, etherType);
    }

    /** This interface's timers. */
    io.tapstack.loop.TimerWheel timers() {
        return ctx.timers();
    }

    /**
     * Where datagrams to this host's own addresses and to ::1 go instead of the link (RFC 1122
     * §3.3.6 spirit; RFC 4291 §2.5.3: ::1 is never sent outside a node); null sends them to the
     * link.
     */
    public void setLocalDelivery(LocalDelivery d) {
        this.local = d;
    }

    /** Whether a datagram to {@code dst} stays inside this host (::1 or an own address). */
    public boolean staysLocal(long hi, long lo) {
        return local != null && (Ipv6Address.isLoopback(hi, lo) || isLocal(hi, lo));
    }

    /**
     * Input of a datagram this host sent to itself ({@link LocalDelivery}): built here with no
     * extension header, so it goes straight to the upper layer.
     */
    public void inputLocal(PacketBuf p) {
        counters.inc(Ipv6Counter.RX);
        int l3 = p.start();
        p.l3 = l3;
        p.gsoType = 0;
        p.gsoSize = 0;
        deliver(p, p.buf().get(l3 + Ipv6Header.NEXT_HEADER) & 0xff, l3 + Ipv6Header.LENGTH,
                l3 + Ipv6Header.NEXT_HEADER, false);
    }

    /** ICMPv6, registered as next header 58. */
    public Icmp6 icmp6() {
        return icmp6;
    }

    /** Neighbor Discovery (neighbour cache, routers, prefixes, DAD, SLAAC) and MLDv2. */
    public Ndp ndp() {
        return ndp;
    }

    public Counters<Ipv6Counter> counters() {
        return counters;
    }

    public Ipv6Reassembler reassembler() {
        return reassembler;
    }

    public PathMtuCache pathMtuCache() {
        return pmtu;
    }

    /** Attaches a transport for a Next Header value. */
    public void register(int nextHeader, IpProtocolHandler h) {
        handlers[nextHeader] = h;
    }

    public IpProtocolHandler handler(int nextHeader) {
        return handlers[nextHeader];
    }

    // ---- addresses and groups ----

    /** The interface's addresses (all states); do not modify. */
    public List<LocalAddress> addresses() {
        return addresses;
    }

    public void addAddress(LocalAddress a) {
        addresses.add(a);
    }

    public void removeAddress(LocalAddress a) {
        addresses.remove(a);
    }

    /** The address entry for {@code (hi,lo)} in any state, or null. */
    public LocalAddress find(long hi, long lo) {
        for (int i = 0; i < addresses.size(); i++) {
            LocalAddress a = addresses.get(i);
            if (a.hi == hi && a.lo == lo) {
                return a;
            }
        }
        return null;
    }

    /** One of our usable (not tentative, not duplicate) unicast addresses. */
    public boolean isLocal(long hi, long lo) {
        LocalAddress a = find(hi, lo);
        return a != null && a.usable();
    }

    /** Joins a multicast group; returns true if it was not joined before. */
    public boolean join(long hi, long lo) {
        for (int i = 0; i < groups; i++) {
            if (groupHi[i] == hi && groupLo[i] == lo) {
                groupRefs[i]++;
                return false;
            }
        }
        if (groups == groupHi.length) {
            groupHi = java.util.Arrays.copyOf(groupHi, groups * 2);
            groupLo = java.util.Arrays.copyOf(groupLo, groups * 2);
            groupRefs = java.util.Arrays.copyOf(groupRefs, groups * 2);
        }
        groupHi[groups] = hi;
        groupLo[groups] = lo;
        groupRefs[groups] = 1;
        groups++;
        return true;
    }

    /** Leaves a multicast group; returns true if no reference remains. */
    public boolean leave(long hi, long lo) {
        for (int i = 0; i < groups; i++) {
            if (groupHi[i] == hi && groupLo[i] == lo) {
                if (--groupRefs[i] > 0) {
                    return false;
                }
                groups--;
                groupHi[i] = groupHi[groups];
                groupLo[i] = groupLo[groups];
                groupRefs[i] = groupRefs[groups];
                return true;
            }
        }
        return false;
    }

    public boolean isMember(long hi, long lo) {
        for (int i = 0; i < groups; i++) {
            if (groupHi[i] == hi && groupLo[i] == lo) {
                return true;
            }
        }
        return false;
    }

    /** Joined groups as {hi, lo} pairs (snapshot). */
    public List<long[]> groups() {
        List<long[]> l = new ArrayList<>();
        for (int i = 0; i < groups; i++) {
            l.add(new long[] {groupHi[i], groupLo[i]});
        }
        return l;
    }

    /** Whether a 33:33:xx:xx:xx:xx frame is for a joined group (RFC 2464 §7). */
    public boolean acceptsMulticastMac(long mac) {
        int low = (int) mac;
        for (int i = 0; i < groups; i++) {
            if ((int) groupLo[i] == low) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 6724 §5 source address selection among usable addresses. Rules 1 (same address),
     * 2 (appropriate scope), 3 (avoid deprecated), 6 (matching label, default policy table of
     * §2.1) and 8 (longest matching prefix) decide; rule 4 (home addresses) and rule 7
     * (temporary addresses) have nothing to choose between here (no Mobile IPv6, no RFC 8981
     * addresses), and rule 5 (outgoing interface) neither: the stack has one interface. Null if
     * there is no usable address.
     */
    public LocalAddress selectSource(long dstHi, long dstLo) {
        LocalAddress best = null;
        int dScope = Ipv6Address.scope(dstHi, dstLo);
        int dLabel = policyLabel(dstHi, dstLo);
        for (int i = 0; i < addresses.size(); i++) {
            LocalAddress a = addresses.get(i);
            if (!a.usable()) {
                continue;
            }
            if (best == null) {
                best = a;
                continue;
            }
            // Rule 1: prefer the same address (whichever of the two it is).
            if (best.hi == dstHi && best.lo == dstLo) {
                continue;
            }
            if (a.hi == dstHi && a.lo == dstLo) {
                best = a;
                continue;
            }
            // Rule 2: prefer appropriate scope.
            int sa = Ipv6Address.scope(a.hi, a.lo);
            int sb = Ipv6Address.scope(best.hi, best.lo);
            if (sa != sb) {
                if (sb < sa) {
                    if (sb < dScope) {
                        best = a;
                    }
                } else if (sa >= dScope) {
                    best = a;
                }
                continue;
            }
            // Rule 3: avoid deprecated addresses.
            boolean da = a.state == LocalAddress.State.DEPRECATED;
            boolean db = best.state == LocalAddress.State.DEPRECATED;
            if (da != db) {
                if (db) {
                    best = a;
                }
                continue;
            }
            // Rule 6: prefer matching label.
            boolean la = policyLabel(a.hi, a.lo) == dLabel;
            boolean lb = policyLabel(best.hi, best.lo) == dLabel;
            if (la != lb) {
                if (la) {
                    best = a;
                }
                continue;
            }
            // Rule 8: longest matching prefix.
            if (Ipv6Address.commonPrefixLength(a.hi, a.lo, dstHi, dstLo)
                    > Ipv6Address.commonPrefixLength(best.hi, best.lo, dstHi, dstLo)) {
                best = a;
            }
        }
        return best;
    }

    /**
     * The label of RFC 6724 §2.1's default policy table (longest matching prefix): ::1/128 → 0,
     * ::/0 → 1, 2002::/16 → 2, ::/96 → 3, ::ffff:0:0/96 → 4, 2001::/32 → 5, fec0::/10 → 11,
     * 3ffe::/16 → 12, fc00::/7 → 13.
     */
    static int policyLabel(long hi, long lo) {
        if (hi == 0) {
            if (lo == 1) {
                return 0;
            }
            if ((lo >>> 32) == 0xffffL) {
                return 4;
            }
            if ((lo >>> 32) == 0) {
                return 3;
            }
            return 1;
        }
        int top16 = (int) (hi >>> 48);
        if (top16 == 0x2002) {
            return 2;
        }
        if ((hi >>> 32) == 0x2001_0000L) {
            return 5;
        }
        if ((top16 & 0xffc0) == 0xfec0) {
            return 11;
        }
        if (top16 == 0x3ffe) {
            return 12;
        }
        if ((top16 & 0xfe00) == 0xfc00) {
            return 13;
        }
        return 1;
    }

    /** The link-local address in use, or null. */
    public LocalAddress linkLocal() {
        for (LocalAddress a : addresses) {
            if (a.isLinkLocal() && a.usable()) {
                return a;
            }
        }
        return null;
    }

    public int linkMtu() {
        return linkMtu;
    }

    /** RFC 4861 §6.3.4: an RA's MTU option sets the link MTU (within the device's). */
    public void setLinkMtu(int mtu) {
        this.linkMtu = Math.max(PathMtuCache.IPV6_MIN_MTU, Math.min(mtu, link.mtu()));
    }

    /** The hop limit for unicast packets (RFC 4861 §6.3.4: CurHopLimit from RAs). */
    public int hopLimit() {
        return curHopLimit;
    }

    public void setHopLimit(int h) {
        this.curHopLimit = h;
    }

    /** The path MTU towards {@code dst} (RFC 8201). */
    public int pathMtu(long hi, long lo) {
        return pmtu.get(hi, lo, linkMtu, ctx.now());
    }

    // ---- input ----

    /** Handles a received IPv6 packet (window: IPv6 header onward). Takes ownership. */
    public void input(PacketBuf p, long ethSrc, long ethDst) {
        counters.inc(Ipv6Counter.RX);
        hdr.wrap(p.buf(), p.start(), p.length());
        Ipv6Header.Error err = hdr.check();
        if (err != Ipv6Header.Error.NONE) {
            drop(p, switch (err) {
                case TRUNCATED -> Ipv6Counter.DROP_TRUNCATED;
                case BAD_VERSION -> Ipv6Counter.DROP_BAD_VERSION;
                default -> Ipv6Counter.DROP_BAD_PAYLOAD_LENGTH;
            });
            return;
        }
        long sHi = hdr.srcHi();
        long sLo = hdr.srcLo();
        long dHi = hdr.dstHi();
        long dLo = hdr.dstLo();
        // RFC 4291 §2.7: multicast is never a source; §2.5.3 loopback never on a link;
        // RFC 4291 §2.5.5.2 IPv4-mapped addresses are not used on the wire.
        if (Ipv6Address.isMulticast(sHi) || Ipv6Address.isLoopback(sHi, sLo) || Ipv6Address.isV4Mapped(sHi, sLo)) {
            drop(p, Ipv6Counter.DROP_BAD_SRC_ADDRESS);
            return;
        }
        boolean mcast = Ipv6Address.isMulticast(dHi);
        if (mcast) {
            int scope = (int) (dHi >>> 48) & 0xf;
            // RFC 4291 §2.7: scope 0 is reserved; interface-local (1) never leaves the node.
            if (scope <= Ipv6Address.SCOPE_INTERFACE) {
                drop(p, Ipv6Counter.DROP_BAD_DST_ADDRESS);
                return;
            }
            if (!isMember(dHi, dLo)) {
                drop(p, Ipv6Counter.DROP_NOT_FOR_US);
                return;
            }
        } else {
            LocalAddress a = find(dHi, dLo);
            if ((a == null || a.state == LocalAddress.State.DUPLICATE) && router != null) {
                p.trim(Ipv6Header.LENGTH + hdr.payloadLength());
                p.l3 = p.start();
                router.forward(p, this, ethDst);
                return;
            }
            if (a == null || a.state == LocalAddress.State.DUPLICATE) {
                // A host does not forward (RFC 8504 §... / RFC 1122 §3.3.1.1 in spirit).
                drop(p, Ipv6Counter.DROP_NOT_FOR_US);
                return;
            }
            if (a.state == LocalAddress.State.TENTATIVE) {
                // RFC 4862 §5.4: packets to a tentative address are silently discarded.
                drop(p, Ipv6Counter.DROP_TENTATIVE_DST);
                return;
            }
        }
        // Cut Ethernet padding: the packet is 40 + Payload Length bytes.
        p.trim(Ipv6Header.LENGTH + hdr.payloadLength());
        p.l3 = p.start();
        process(p, hdr.nextHeader(), p.start() + Ipv6Header.LENGTH, p.start() + Ipv6Header.NEXT_HEADER, mcast);
    }

    /**
     * A packet (trimmed, l3 set) that arrived on this interface for another interface of the
     * router: delivered here, as the router's own (RFC 4291's node owns all its addresses).
     */
    void receiveLocal(PacketBuf p) {
        int nh = p.buf().get(p.start() + Ipv6Header.NEXT_HEADER) & 0xff;
        process(p, nh, p.start() + Ipv6Header.LENGTH, p.start() + Ipv6Header.NEXT_HEADER, false);
    }

    /** Hands a forwarded packet (window: IPv6 header) to Neighbor Discovery towards the next hop. */
    void transmitTo(PacketBuf p, long nhHi, long nhLo) {
        counters.inc(Ipv6Counter.TX);
        ndp.output(p, nhHi, nhLo);
    }

    /**
     * Walks the header chain from {@code at} (whose type is {@code nh}, named by the byte at
     * {@code nhField}) and delivers the upper-layer payload. RFC 8200 §4.
     */
    void process(PacketBuf p, int nh, int at, int nhField, boolean mcast) {
        ByteBuffer b = p.buf();
        int l3 = p.l3;
        int end = p.end();
        for (int n = 0; n < MAX_EXT_HEADERS; n++) {
            switch (nh) {
                case Ipv6Header.NH_HOP_BY_HOP, Ipv6Header.NH_DEST_OPTIONS -> {
                    if (nh == Ipv6Header.NH_HOP_BY_HOP && at != l3 + Ipv6Header.LENGTH) {
                        // RFC 8200 §4.1/§4.3: Hop-by-Hop only immediately after the IPv6 header;
                        // elsewhere it is an unrecognised Next Header (Linux does the same).
                        counters.inc(Ipv6Counter.DROP_HBH_NOT_FIRST);
                        icmp6.sendParamProblem(p, Icmpv6.PARAM_NEXT_HEADER, nhField - l3, false);
                        p.release();
                        return;
                    }
                    ext.wrap(b, at, end - at);
                    if (!ext.check()) {
                        drop(p, Ipv6Counter.DROP_BAD_EXT_HEADER);
                        return;
                    }
                    if (!options(p, mcast)) {
                        return;
                    }
                    nhField = at;
                    nh = ext.nextHeader();
                    at += ext.headerLength();
                }
                case Ipv6Header.NH_ROUTING -> {
                    ext.wrap(b, at, end - at);
                    if (!ext.check()) {
                        drop(p, Ipv6Counter.DROP_BAD_EXT_HEADER);
                        return;
                    }
                    if (ext.segmentsLeft() != 0) {
                        // RFC 8200 §4.4: an unrecognised Routing Type with Segments Left ≠ 0 →
                        // Parameter Problem code 0 pointing at the Routing Type. RFC 5095 §3:
                        // type 0 is processed as unrecognised. A host forwards nothing, so every
                        // type with segments left is refused the same way.
                        counters.inc(ext.routingType() == Ipv6ExtHeader.ROUTING_TYPE_0
                                ? Ipv6Counter.DROP_ROUTING_TYPE0 : Ipv6Counter.DROP_ROUTING_UNSUPPORTED);
                        icmp6.sendParamProblem(p, Icmpv6.PARAM_HEADER_FIELD, at + Ipv6ExtHeader.ROUTING_TYPE - l3, false);
                        p.release();
                        return;
                    }
                    // Segments Left 0: ignore the header and go on (RFC 8200 §4.4, RFC 5095 §3).
                    nhField = at;
                    nh = ext.nextHeader();
                    at += ext.headerLength();
                }
                case Ipv6Header.NH_FRAGMENT -> {
                    frag.wrap(b, at, end - at);
                    if (!frag.check()) {
                        drop(p, Ipv6Counter.DROP_BAD_EXT_HEADER);
                        return;
                    }
                    if (frag.isAtomic()) {
                        // RFC 6946 §4: an atomic fragment is processed as a whole packet, apart
                        // from any reassembly queue with the same identification.
                        counters.inc(Ipv6Counter.RX_ATOMIC_FRAGMENTS);
                        nhField = at;
                        nh = frag.nextHeader();
                        at += Ipv6FragmentHeader.LENGTH;
                        continue;
                    }
                    counters.inc(Ipv6Counter.RX_FRAGMENTS);
                    reassembler.input(p, frag, at, nhField, mcast);
                    return;
                }
                case Ipv6Header.NH_NONE -> {
                    // RFC 8200 §4.7: nothing follows; ignore.
                    counters.inc(Ipv6Counter.RX_NO_NEXT_HEADER);
                    p.release();
                    return;
                }
                default -> {
                    deliver(p, nh, at, nhField, mcast);
                    return;
                }
            }
        }
        drop(p, Ipv6Counter.DROP_TOO_MANY_EXT_HEADERS);
    }

    /**
     * RFC 8200 §4.2: processes the options of the header in {@link #ext}. Returns false when the
     * packet was discarded (and released).
     */
    private boolean options(PacketBuf p, boolean mcast) {
        ext.startOptions();
        int r;
        while ((r = ext.nextOption()) == 1) {
            int t = ext.optionType();
            if (t == Ipv6ExtHeader.OPT_PAD1 || t == Ipv6ExtHeader.OPT_PADN || t == Ipv6ExtHeader.OPT_ROUTER_ALERT) {
                continue;
            }
            switch (Ipv6ExtHeader.action(t)) {
                case Ipv6ExtHeader.ACTION_SKIP -> {
                    // 00: skip over this option and continue processing the header.
                }
                case Ipv6ExtHeader.ACTION_DISCARD -> {
                    // 01: discard silently.
                    drop(p, Ipv6Counter.DROP_UNKNOWN_OPTION);
                    return false;
                }
                case Ipv6ExtHeader.ACTION_DISCARD_ICMP -> {
                    // 10: discard and send Parameter Problem code 2 pointing at the option type,
                    // whether or not the destination was multicast.
                    counters.inc(Ipv6Counter.DROP_UNKNOWN_OPTION);
                    icmp6.sendParamProblem(p, Icmpv6.PARAM_OPTION, ext.optionOffset() - p.l3, true);
                    p.release();
                    return false;
                }
                default -> {
                    // 11: the same, but only if the destination was not multicast.
                    counters.inc(Ipv6Counter.DROP_UNKNOWN_OPTION);
                    if (!mcast) {
                        icmp6.sendParamProblem(p, Icmpv6.PARAM_OPTION, ext.optionOffset() - p.l3, false);
                    }
                    p.release();
                    return false;
                }
            }
        }
        if (r < 0) {
            drop(p, Ipv6Counter.DROP_BAD_OPTION);
            return false;
        }
        return true;
    }

    private void deliver(PacketBuf p, int nh, int at, int nhField, boolean mcast) {
        IpProtocolHandler h = handlers[nh];
        int l3 = p.l3;
        if (h == null) {
            // RFC 8200 §4: an unrecognised Next Header → Parameter Problem code 1 pointing at it.
            counters.inc(Ipv6Counter.DROP_UNKNOWN_NEXT_HEADER);
            icmp6.sendParamProblem(p, Icmpv6.PARAM_NEXT_HEADER, nhField - l3, false);
            p.release();
            return;
        }
        ByteBuffer b = p.buf();
        meta.version = 6;
        meta.srcHi = b.getLong(l3 + Ipv6Header.SRC);
        meta.srcLo = b.getLong(l3 + Ipv6Header.SRC + 8);
        meta.dstHi = b.getLong(l3 + Ipv6Header.DST);
        meta.dstLo = b.getLong(l3 + Ipv6Header.DST + 8);
        meta.ttl = b.get(l3 + Ipv6Header.HOP_LIMIT) & 0xff;
        meta.tos = (b.getShort(l3) >>> 4) & 0xff;
        meta.l3 = l3;
        meta.dstBroadcastOrMulticast = mcast;
        // DATA_VALID or NEEDS_CSUM from the device: nothing to verify (virtio spec §5.1.6.2.1)
        meta.checksumValid = p.csumState != PacketBuf.CSUM_NONE;
        counters.inc(Ipv6Counter.RX_DELIVERED);
        p.pull(at - p.start());
        p.l4 = at;
        h.input(p, meta);
    }

    private void drop(PacketBuf p, Ipv6Counter why) {
        counters.inc(why);
        p.release();
    }

    // ---- output ----

    /**
     * Sends a transport packet (window: the upper-layer header and payload). An unspecified
     * source is replaced by the RFC 6724 choice. Takes ownership of {@code p}.
     *
     * @param hopLimit 0 for the default (CurHopLimit, or 1 for link-scope multicast... callers
     *     of ND pass 255 explicitly)
     */
    public Result output(PacketBuf p, long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int hopLimit, int tc) {
        if (router != null && !Ipv6Address.isMulticast(dstHi) && !Ipv6Address.isLinkLocal(dstHi) && !staysLocal(dstHi, dstLo)) {
            // a router's own packets leave by the interface its table names
            Ipv6 out = router.interfaceFor(dstHi, dstLo);
            if (out != null && out != this) {
                return out.output(p, srcHi, srcLo, dstHi, dstLo, nextHeader, hopLimit, tc);
            }
        }
        if (Ipv6Address.isUnspecified(srcHi, srcLo) && staysLocal(dstHi, dstLo)) {
            srcHi = dstHi; // RFC 6724 §5 rule 1: prefer the destination itself
            srcLo = dstLo;
        } else if (Ipv6Address.isUnspecified(srcHi, srcLo)) {
            LocalAddress a = selectSource(dstHi, dstLo);
            if (a == null) {
                counters.inc(Ipv6Counter.DROP_NO_SOURCE);
                p.release();
                return Result.NO_ROUTE;
            }
            srcHi = a.hi;
            srcLo = a.lo;
        }
        return send(p, srcHi, srcLo, dstHi, dstLo, nextHeader, hopLimit, tc);
    }

    /**
     * Sends with exactly the given source (which may be unspecified, for DAD and MLD). Routes,
     * fragments if the packet exceeds the path MTU (RFC 8200 §4.5, §5), and hands the packet to
     * Neighbor Discovery or straight to the link for multicast.
     */
    public Result send(PacketBuf p, long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader, int hopLimit, int tc) {
        boolean mcast = Ipv6Address.isMulticast(dstHi);
        int hop = hopLimit > 0 ? hopLimit : mcast ? 1 : curHopLimit;
        if (!mcast && staysLocal(dstHi, dstLo)) {
            // to itself: no route, no neighbour, no path MTU (RFC 1122 §3.3.6 spirit)
            int payload = p.length();
            if (payload > 0xffff) {
                counters.inc(Ipv6Counter.DROP_TOO_BIG);
                p.release();
                return Result.TOO_BIG;
            }
            int at = p.push(Ipv6Header.LENGTH);
            p.l3 = at;
            Ipv6Header.emit(p.buf(), at, tc, 0, payload, nextHeader, hop, srcHi, srcLo, dstHi, dstLo);
            counters.inc(Ipv6Counter.TX);
            return local.deliverLocal(p) ? Result.OK : Result.NO_BUFFER;
        }
        long nhHi = dstHi;
        long nhLo = dstLo;
        if (!mcast) {
            if (!ndp.route(dstHi, dstLo)) {
                counters.inc(Ipv6Counter.DROP_NO_ROUTE);
                p.release();
                return Result.NO_ROUTE;
            }
            nhHi = ndp.routeHi();
            nhLo = ndp.routeLo();
        }
        int mtu = mcast ? linkMtu : pathMtu(dstHi, dstLo);
        int payload = p.length();
        if (Ipv6Header.LENGTH + payload <= mtu || p.gsoType != 0) {
            int at = p.push(Ipv6Header.LENGTH);
            p.l3 = at;
            Ipv6Header.emit(p.buf(), at, tc, 0, payload, nextHeader, hop, srcHi, srcLo, dstHi, dstLo);
            counters.inc(Ipv6Counter.TX);
            transmit(p, mcast, dstLo, nhHi, nhLo);
            return Result.OK;
        }
        if (payload > 65535) {
            counters.inc(Ipv6Counter.DROP_TOO_BIG);
            p.release();
            return Result.TOO_BIG;
        }
        return fragment(p, srcHi, srcLo, dstHi, dstLo, nextHeader, hop, tc, mcast, nhHi, nhLo, mtu);
    }

    private void transmit(PacketBuf p, boolean mcast, long dstLo, long nhHi, long nhLo) {
        if (mcast) {
            link.transmitFrame(p, Ipv6Address.multicastMac(dstLo), EthernetFrame.TYPE_IPV6);
        } else {
            ndp.output(p, nhHi, nhLo);
        }
    }

    /**
     * RFC 8200 §4.5: the unfragmentable part (here the IPv6 header alone) is repeated in every
     * fragment, followed by a Fragment header and a piece of the fragmentable part whose length
     * is a multiple of 8 except in the last. The Identification is random per datagram
     * (RFC 7739 §5.1).
     */
    private Result fragment(PacketBuf p, long srcHi, long srcLo, long dstHi, long dstLo, int nextHeader,
                            int hop, int tc, boolean mcast, long nhHi, long nhLo, int mtu) {
        int chunk = (mtu - Ipv6Header.LENGTH - Ipv6FragmentHeader.LENGTH) & ~7;
        int len = p.length();
        int id = ctx.random().nextInt();
        counters.inc(Ipv6Counter.TX_FRAGMENTED);
        Result res = Result.OK;
        for (int off = 0; off < len; off += chunk) {
            int n = Math.min(chunk, len - off);
            PacketBuf f = ctx.allocate(n + Ipv6Header.LENGTH + Ipv6FragmentHeader.LENGTH);
            if (f == null) {
                counters.inc(Ipv6Counter.DROP_NO_BUFFER);
                res = Result.NO_BUFFER;
                break;
            }
            int at = f.append(n);
            f.buf().put(at, p.buf(), p.start() + off, n);
            int fh = f.push(Ipv6FragmentHeader.LENGTH);
            Ipv6FragmentHeader.emit(f.buf(), fh, nextHeader, off, off + n < len, id);
            int h = f.push(Ipv6Header.LENGTH);
            f.l3 = h;
            Ipv6Header.emit(f.buf(), h, tc, 0, n + Ipv6FragmentHeader.LENGTH, Ipv6Header.NH_FRAGMENT, hop,
                    srcHi, srcLo, dstHi, dstLo);
            counters.inc(Ipv6Counter.TX);
            counters.inc(Ipv6Counter.TX_FRAGMENTS_CREATED);
            transmit(f, mcast, dstLo, nhHi, nhLo);
        }
        p.release();
        return res;
    }
}
