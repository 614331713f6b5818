package io.tapstack;

import io.tapstack.arp.Arp;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.buffer.PacketQueue;
import io.tapstack.context.IpOutput;
import io.tapstack.context.LinkOutput;
import io.tapstack.context.LocalDelivery;
import io.tapstack.context.StackConfig;
import io.tapstack.context.StackContext;
import io.tapstack.dhcp.DhcpClient;
import io.tapstack.dhcp.DhcpConfig;
import io.tapstack.dhcp.Lease;
import io.tapstack.dns.Resolver;
import io.tapstack.dns.ResolverConfig;
import io.tapstack.ip.Icmp;
import io.tapstack.ip.Ipv4;
import io.tapstack.ip6.Icmp6;
import io.tapstack.ip6.Ipv6;
import io.tapstack.ip6.LocalAddress;
import io.tapstack.ip6.Ndp;
import io.tapstack.link.FrameTap;
import io.tapstack.link.Gro;
import io.tapstack.link.Gso;
import io.tapstack.link.Offloads;
import io.tapstack.link.VnetHeader;
import io.tapstack.link.Link;
import io.tapstack.link.LinkCounter;
import io.tapstack.loop.Clock;
import io.tapstack.loop.TimerWheel;
import io.tapstack.stats.Counters;
import io.tapstack.stats.StackStats;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.udp.Udp;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Icmpv4;
import io.tapstack.wire.Icmpv6;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.MacAddress;

/**
 * One host: a link, its Ethernet, ARP, IPv4 and ICMP, IPv6 with ICMPv6 and Neighbor Discovery,
 * and the transports attached to them.
 *
 * <p>This is the only class that knows every protocol: it builds and owns them, and hands each
 * only the narrow contexts of {@link io.tapstack.context} that it needs, which it implements
 * itself: {@link StackContext} (time, timers, buffers, random, counters), {@link LinkOutput}
 * (the Ethernet link) and {@link IpOutput} (the network layer for transports). No protocol
 * imports this class.
 *
 * <p>Everything here runs on one thread: the event loop calls {@link #poll(long)} once per
 * pass with the time of that pass, or a test calls it with virtual time. Nothing in the stack
 * reads the clock itself.
 */
public final class NetStack implements StackContext, LinkOutput, IpOutput, LocalDelivery {
    private static final System.Logger LOG = System.getLogger("io.tapstack");
    /**
     * Datagrams the host sent to itself and has not yet delivered (Linux's loopback backlog is
     * netdev_max_backlog = 1000); beyond it they are dropped and counted, so a host talking to
     * itself holds a bounded share of its pool.
     */
    public static final int LOCAL_QUEUE_LIMIT = 1000;
    private final Link link;
    private final StackConfig config;
    private final Clock clock;
    private final PacketPool pool;
    private final TimerWheel timers;
    private final StackStats stats = new StackStats();
    private final MemoryBudget memory;
    private final Counters<LinkCounter> linkStats;
    private final long mac;
    private final int mtu;
    private final Arp arp;
    private final Ipv4 ipv4;
    private final Icmp icmp;
    private final Ipv6 ipv6;
    private final Icmp6 icmp6;
    private final Ndp ndp;
    private final Udp udp;
    private final Tcp tcp;
    private final Resolver resolver;
    private final java.util.Random random;
    private final PacketBuf[] rxBurst;
    private final EthernetFrame eth = new EthernetFrame();
    private final Gro gro;
    /** {@link Gro#merged()} as far as it is in {@link LinkCounter#RX_GRO_MERGED}. */
    private long groMergedCounted;
    private final PacketQueue localQueue = new PacketQueue(LOCAL_QUEUE_LIMIT);
    private static final FrameTap[] NO_TAPS = new FrameTap[0];
    /** Copy-on-write: written under {@code tapLock} by any thread, read once per frame by the loop. */
    private volatile FrameTap[] taps = NO_TAPS;
    private final Object tapLock = new Object(); // never taken by the loop thread
    private FrameTap setTap; // the one attached through setFrameTap, guarded by tapLock
    private long now;
    private boolean started;

    public NetStack(Link link, StackConfig config, Clock clock) {
        this(link, config, new TcpConfig(), clock);
    }

    public NetStack(Link link, StackConfig config, TcpConfig tcpConfig, Clock clock) {
        this(link, config, tcpConfig, clock, link.offloads().lro()
                // the device may hand us 64 KiB frames: every receive buffer must hold one
                ? new PacketPool(512, PacketPool.LARGE_SIZE, 64)
                : PacketPool.forMtu(config.mtu > 0 ? config.mtu : link.mtu()));
    }

    public NetStack(Link link, StackConfig config, Clock clock, PacketPool pool) {
        this(link, config, new TcpConfig(), clock, pool);
    }

    public NetStack(Link link, StackConfig config, TcpConfig tcpConfig, Clock clock, PacketPool pool) {
        this.link = link;
        this.config = config;
        this.clock = clock;
        this.pool = pool;
        this.now = clock.nanos();
        this.timers = new TimerWheel(now);
        this.mac = config.mac.bits();
        this.mtu = config.mtu > 0 ? config.mtu : link.mtu();
        this.linkStats = stats.register("link", LinkCounter.class);
        this.memory = new MemoryBudget(config.memLimit > 0 ? config.memLimit : MemoryBudget.defaultLimit(), stats);
        this.random = config.seed != 0 ? new java.util.Random(config.seed) : new java.util.Random();
        // Each protocol gets the contexts it needs, all implemented by this stack. (Counters are
        // registered in construction order: link, mem, arp, ip, icmp, ip6, icmp6, ndp, udp, tcp.)
        this.arp = new Arp(this, this, config, this::ipv4SourceFor);
        this.ipv4 = new Ipv4(this, this, config, arp);
        this.icmp = ipv4.icmp();
        this.ipv6 = new Ipv6(this, this, config);
        this.icmp6 = ipv6.icmp6();
        this.ndp = ipv6.ndp();
        this.udp = new Udp(this, config, this);
        ipv4.register(Udp.PROTOCOL, udp);
        ipv6.register(Udp.PROTOCOL, udp);
        this.tcp = new Tcp(this, this, tcpConfig);
        ipv4.register(Tcp.PROTOCOL, tcp);
        ipv6.register(Tcp.PROTOCOL, tcp); // dual-stack: one TCP serves both (RFC 8200 §8.1 pseudo header)
        this.resolver = new Resolver(this, udp, tcp, new ResolverConfig());
        ndp.setDnsListener(l -> resolver.setServers(Resolver.Source.RA, l)); // RFC 8106 RDNSS
        if (config.localDelivery) {
            ipv4.setLocalDelivery(this);
            ipv6.setLocalDelivery(this);
        }
        this.rxBurst = new PacketBuf[Math.max(1, config.rxBurst)];
        this.gro = config.softwareGro ? new Gro(pool, this::receiveFrame) : null;
        link.attach(pool);
    }

    public Link link() {
        return link;
    }

    public StackConfig config() {
        return config;
    }

    public Clock clock() {
        return clock;
    }

    public PacketPool pool() {
        return pool;
    }

    @Override
    public TimerWheel timers() {
        return timers;
    }

    @Override
    public MemoryBudget memory() {
        return memory;
    }

    @Override
    public StackStats stats() {
        return stats;
    }

    public Arp arp() {
        return arp;
    }

    public Ipv4 ipv4() {
        return ipv4;
    }

    /** ARP's source address for a request: the route's (built before IPv4, so called late). */
    private int ipv4SourceFor(int dst) {
        return ipv4.sourceFor(dst);
    }

    public Icmp icmp() {
        return icmp;
    }

    public Ipv6 ipv6() {
        return ipv6;
    }

    public Icmp6 icmp6() {
        return icmp6;
    }

    public Ndp ndp() {
        return ndp;
    }

    /** The stack's random numbers (seeded by {@link StackConfig#seed}); loop thread only. */
    @Override
    public java.util.Random random() {
        return random;
    }

    public Udp udp() {
        return udp;
    }

    /** This host's TCP (built with the {@link TcpConfig} given to the constructor, else defaults). */
    public Tcp tcp() {
        return tcp;
    }

    /** The host's DNS stub resolver (servers from {@code --dns}, DHCP or RDNSS). Loop thread only. */
    public Resolver resolver() {
        return resolver;
    }

    /** The stack's MAC as 48 bits. */
    @Override
    public long mac() {
        return mac;
    }

    public MacAddress macAddress() {
        return MacAddress.of(mac);
    }

    @Override
    public int mtu() {
        return mtu;
    }

    /** The link's interface name. */
    @Override
    public String interfaceName() {
        return link.name();
    }

    /** The time of the current pass (loop-clock nanoseconds). */
    @Override
    public long now() {
        return now;
    }

    /**
     * Attaches a tap at the link boundary (from any thread): it sees every frame as it crosses
     * the wire, without the virtio-net header, timestamped by the loop's clock, on the loop
     * thread. Packet capture (the {@code capture} module) plugs in here. With no tap attached a
     * frame costs one volatile read; attaching or detaching never blocks the loop (the set is a
     * copy-on-write array). Adding a tap twice has no effect.
     */
    public void addFrameTap(FrameTap t) {
        java.util.Objects.requireNonNull(t);
        synchronized (tapLock) {
            FrameTap[] a = taps;
            for (FrameTap x : a) {
                if (x == t) {
                    return;
                }
            }
            FrameTap[] n = java.util.Arrays.copyOf(a, a.length + 1);
            n[a.length] = t;
            taps = n;
        }
    }

    /** Detaches a tap added by {@link #addFrameTap}; no effect if it is not attached. */
    public void removeFrameTap(FrameTap t) {
        synchronized (tapLock) {
            FrameTap[] a = taps;
            for (int i = 0; i < a.length; i++) {
                if (a[i] == t) {
                    if (a.length == 1) {
                        taps = NO_TAPS;
                        return;
                    }
                    FrameTap[] n = new FrameTap[a.length - 1];
                    System.arraycopy(a, 0, n, 0, i);
                    System.arraycopy(a, i + 1, n, i, a.length - i - 1);
                    taps = n;
                    return;
                }
            }
        }
    }

    /**
     * Replaces the tap previously attached through this method with {@code t} (null detaches
     * it); taps added with {@link #addFrameTap} stay.
     */
    public void setFrameTap(FrameTap t) {
        synchronized (tapLock) {
            if (setTap != null) {
                removeFrameTap(setTap);
            }
            setTap = t;
            if (t != null) {
                addFrameTap(t);
            }
        }
    }

    /** Shows a frame to every attached tap, all with the same wall-clock timestamp. */
    private void tapFrame(PacketBuf p, boolean outbound) {
        FrameTap[] a = taps;
        if (a.length == 0) {
            return;
        }
        long wall = clock.wallNanos();
        for (FrameTap t : a) {
            t.frame(p.buf(), p.start(), p.length(), wall, outbound);
        }
    }

    /**
     * Announces the host: gratuitous ARP for each address (RFC 5227 §3); IPv6 link-local and
     * static addresses through DAD, MLD reports, router solicitation. Idempotent.
     */
    public void start() {
        if (started) {
            return;
        }
        started = true;
        arp.announce();
        ndp.start();
    }

    /** Full receive bursts read in one pass before the timers fire (bounds one pass). */
    static final int MAX_BURSTS_PER_PASS = 8;

    /**
     * One pass of protocol work at time {@code now}: received frames, due timers, and a flush of
     * the link. Returns the next deadline (loop-clock nanoseconds) at which {@code poll} must run
     * again even if nothing arrives.
     *
     * <p>Two rules keep the retransmission timer honest when a pass is long (a deep TAP queue, a
     * garbage collection): the time is refreshed from the clock before each received frame, so a
     * segment sent while handling it is stamped, and its timer started, when it really leaves
     * (RFC 6298 §5.1) rather than at the start of the pass; and the timers fire only after the
     * link's queue has been read (up to {@link #MAX_BURSTS_PER_PASS} full bursts), so an ACK that
     * the peer sent before a deadline, still waiting in the queue, is seen before the timer
     * resends what it acknowledges.
     */
    public long poll(long now) {
        advanceTime(now);
        if (!started) {
            start();
        }
        deliverLocalQueue();
        int bursts = 0;
        int n;
        do {
            n = receiveBurst();
        } while (n == rxBurst.length && ++bursts < MAX_BURSTS_PER_PASS);
        try {
            timers.expire(this.now);
        } catch (RuntimeException e) {
            internalError(e);
        }
        link.flush();
        if (!localQueue.isEmpty()) {
            return this.now; // more to deliver to ourselves: the loop comes straight back
        }
        long next = timers.nextDeadline();
        return Math.min(next, link.nextDeadline());
    }

    /**
     * Moves the time of the current pass forward to {@code t} (never back). The event loop calls
     * it before it runs commands from other threads, so that what they send is stamped with the
     * time it is sent, not the time of the last pass before the loop slept.
     */
    public void advanceTime(long t) {
        if (t > now) {
            now = t;
        }
    }

    /** Reads one burst of frames and carries each to completion; returns how many were read. */
    private int receiveBurst() {
        int n = link.receive(pool, rxBurst, rxBurst.length);
        for (int i = 0; i < n; i++) {
            PacketBuf p = rxBurst[i];
            rxBurst[i] = null;
            advanceTime(clock.nanos());
            try {
                if (!linkInput(p)) {
                    continue;
                }
                if (gro != null && gro.offer(p, mac)) {
                    continue;
                }
                receiveFrame(p);
            } catch (RuntimeException e) {
                // A bug, never a peer's fault: count it, report the first, keep the host up.
                // (The buffer may leak; the pool's exhaustion counter would show that.)
                internalError(e);
            }
        }
        if (gro != null && n > 0) {
            try {
                gro.flush();
            } catch (RuntimeException e) {
                internalError(e);
            }
            long merged = gro.merged();
            if (merged != groMergedCounted) {
                linkStats.add(LinkCounter.RX_GRO_MERGED, merged - groMergedCounted);
                groMergedCounted = merged;
            }
        }
        return n;
    }

    /**
     * Queues a datagram this host sent to one of its own or a loopback address (called by IPv4
     * and IPv6 output, see {@link LocalDelivery}); {@link #poll} delivers it on the next pass.
     * No copy and no allocation: the queue links the buffer the transport built.
     */
    @Override
    public boolean deliverLocal(PacketBuf p) {
        if (!localQueue.offer(p)) {
            linkStats.inc(LinkCounter.DROP_LOCAL_QUEUE_FULL);
            p.release();
            return false;
        }
        return true;
    }

    /** Datagrams sent to this host itself, waiting for the next pass. */
    public int localPending() {
        return localQueue.size();
    }

    /**
     * Delivers what was queued for this host itself before this pass began (what that queues
     * in turn waits for the next pass, so one pass is bounded).
     */
    private void deliverLocalQueue() {
        for (int n = localQueue.size(); n > 0; n--) {
            PacketBuf p = localQueue.poll();
            try {
                linkStats.inc(LinkCounter.LOCAL_DELIVERED);
                if ((p.buf().get(p.start()) & 0xf0) == 0x40) {
                    ipv4.inputLocal(p);
                } else {
                    ipv6.inputLocal(p);
                }
            } catch (RuntimeException e) {
                internalError(e);
            }
        }
    }

    /**
     * What happens to every frame as it comes off the link: the virtio-net header is read and
     * removed, the frame is counted and shown to the tap. Returns false if it was dropped.
     */
    private boolean linkInput(PacketBuf p) {
        if (link.vnetHeader() && !stripVnetHeader(p)) {
            linkStats.inc(LinkCounter.DROP_BAD_VNET_HEADER);
            p.release();
            return false;
        }
        linkStats.inc(LinkCounter.RX_FRAMES);
        linkStats.add(LinkCounter.RX_BYTES, p.length());
        tapFrame(p, false);
        return true;
    }

    /**
     * With a multi-queue TAP, one stack per queue: the kernel steers each flow to one queue,
     * but ARP and neighbour discovery concern every queue's stack. A stack that receives such
     * a frame shares a copy with its siblings, which learn from it without answering.
     */
    @FunctionalInterface
    public interface Fanout {
        /** Called on this stack's loop with a frame (Ethernet onward) to share; copy it. */
        void share(java.nio.ByteBuffer buf, int off, int len);
    }

    private Fanout fanout;
    private boolean mirrored;

    public void setFanout(Fanout f) {
        this.fanout = f;
    }

    /** True while processing a frame shared by a sibling queue's stack (learn, do not answer). */
    @Override
    public boolean isMirrored() {
        return mirrored;
    }

    /** Processes a frame a sibling queue shared (on this stack's loop thread). */
    public void receiveMirrored(byte[] frame) {
        PacketBuf p = allocate(frame.length);
        if (p == null) {
            return;
        }
        p.appendBytes(frame, 0, frame.length);
        mirrored = true;
        try {
            receiveFrame(p);
        } finally {
            mirrored = false;
        }
    }

    private boolean shared(PacketBuf p, int type) {
        if (type == EthernetFrame.TYPE_ARP) {
            return true;
        }
        // ICMPv6 router/neighbour discovery (types 133..137) directly after the IPv6 header
        int l3 = p.start() + eth.headerLength();
        if (type != EthernetFrame.TYPE_IPV6 || p.length() < eth.headerLength() + 41 || p.buf().get(l3 + 6) != 58) {
            return false;
        }
        int t = p.buf().get(l3 + 40) & 0xff;
        return t >= 133 && t <= 137;
    }

    /** Processes one received Ethernet frame (window: the Ethernet header onward). */
    public void receiveFrame(PacketBuf p) {
        eth.wrap(p.buf(), p.start(), p.length());
        if (!eth.check()) {
            linkStats.inc(LinkCounter.DROP_RUNT);
            p.release();
            return;
        }
        long dst = eth.dst();
        if (dst != mac && !acceptsMulticast(dst)) {
            linkStats.inc(MacAddress.isMulticast(dst) ? LinkCounter.DROP_MULTICAST_FILTERED : LinkCounter.DROP_NOT_FOR_US);
            p.release();
            return;
        }
        if (eth.vlanTagged()) {
            // This host is not a member of any VLAN.
            linkStats.inc(LinkCounter.DROP_VLAN);
            p.release();
            return;
        }
        p.l2 = p.start();
        int type = eth.etherType();
        if (fanout != null && !mirrored && shared(p, type)) {
            fanout.share(p.buf(), p.start(), p.length());
        }
        long src = eth.src();
        p.pull(eth.headerLength());
        switch (type) {
            case EthernetFrame.TYPE_IPV4 -> ipv4.input(p, src, dst);
            case EthernetFrame.TYPE_ARP -> arp.input(p, src, dst);
            case EthernetFrame.TYPE_IPV6 -> {
                if (config.ipv6Enabled) {
                    ipv6.input(p, src, dst);
                } else {
                    linkStats.inc(LinkCounter.DROP_UNKNOWN_ETHERTYPE);
                    p.release();
                }
            }
            default -> {
                linkStats.inc(LinkCounter.DROP_UNKNOWN_ETHERTYPE);
                p.release();
            }
        }
    }

    /**
     * The multicast filter: broadcast, IPv4 multicast (the IPv4 layer accepts only the groups it
     * is in), and for IPv6 only the 33:33 addresses of joined groups (RFC 2464 §7) — the
     * solicited-node groups of our addresses and all-nodes.
     */
    private boolean acceptsMulticast(long dst) {
        if (!MacAddress.isMulticast(dst)) {
            return false;
        }
        if (dst == 0xffff_ffff_ffffL || (dst >>> 24) == 0x01005eL) {
            return true;
        }
        if ((dst >>> 32) == 0x3333L) {
            return ipv6.acceptsMulticastMac(dst);
        }
        return false;
    }

    /** Virtio-net header handling; the header's meaning is applied by a later layer (offloads). */
    private boolean stripVnetHeader(PacketBuf p) {
        int hl = VnetHeader.LENGTH;
        if (p.length() < hl) {
            return false;
        }
        int flags = p.buf().get(p.start()) & 0xff;
        if ((flags & VnetHeader.F_DATA_VALID) != 0) {
            p.csumState = PacketBuf.CSUM_VALID;
        } else if ((flags & VnetHeader.F_NEEDS_CSUM) != 0) {
            p.csumState = PacketBuf.CSUM_PARTIAL;
            // virtio fields are little-endian; csum_start counts from the Ethernet header
            p.csumStart = Short.reverseBytes(p.buf().getShort(p.start() + 6)) & 0xffff;
            p.csumOffset = Short.reverseBytes(p.buf().getShort(p.start() + 8)) & 0xffff;
        }
        p.gsoType = p.buf().get(p.start() + 1) & 0xff;
        p.gsoSize = Short.reverseBytes(p.buf().getShort(p.start() + 4)) & 0xffff;
        p.pull(hl);
        // csum_start counts from the Ethernet header; keep it as an absolute buffer offset
        p.csumStart += p.start();
        return true;
    }

    /**
     * Sends an Ethernet frame: pushes the Ethernet header (and a virtio-net header if the link
     * wants one) and hands it to the link. Takes ownership of {@code p}, whose window is the L3
     * packet.
     */
    @Override
    public void transmitFrame(PacketBuf p, long dstMac, int etherType) {
        if (p.gsoType != 0 && !hardwareGso(p)) {
            // software GSO: the device cannot segment, so we do it here, once, for all transports
            linkStats.inc(LinkCounter.TX_GSO_SOFTWARE);
            if (Gso.segment(p, pool, s -> transmitFrame(s, dstMac, etherType)) < 0) {
                linkStats.inc(LinkCounter.DROP_NO_BUFFER);
            }
            return;
        }
        // With a virtio-net header the kernel finishes partial checksums (always for GSO frames);
        // otherwise, or when checksum offload is off, we finish them here.
        if (p.csumState == PacketBuf.CSUM_PARTIAL
                && !(link.vnetHeader() && (link.offloads().txChecksum() || p.gsoType != 0))) {
            Gso.finishChecksum(p);
        }
        int at = p.push(EthernetFrame.HEADER_LEN);
        p.l2 = at;
        EthernetFrame.emit(p.buf(), at, dstMac, mac, etherType);
        tapFrame(p, true);
        linkStats.inc(LinkCounter.TX_FRAMES);
        linkStats.add(LinkCounter.TX_BYTES, p.length());
        if (link.vnetHeader()) {
            int v = p.push(VnetHeader.LENGTH);
            VnetHeader.emit(p, v);
        }
        if (!link.transmit(p)) {
            linkStats.inc(LinkCounter.DROP_TX_LINK);
        }
    }

    private boolean hardwareGso(PacketBuf p) {
        if (!link.vnetHeader()) {
            return false;
        }
        Offloads o = link.offloads();
        return p.gsoType == VnetHeader.GSO_TCPV4 ? o.tso4() : p.gsoType == VnetHeader.GSO_TCPV6 && o.tso6();
    }

    /**
     * Largest TCP payload a transport may hand down as one TSO segment towards {@code dst}, or
     * 0 when the device cannot segment for that family (then transports send MSS-sized
     * segments; software GSO would only add a copy).
     */
    @Override
    public int maxGsoPayload(long dstHi, long dstLo) {
        if (!link.vnetHeader()) {
            return 0;
        }
        Offloads o = link.offloads();
        boolean v4 = IpAddr.isV4Mapped(dstHi, dstLo);
        if (v4 ? !o.tso4() : !o.tso6()) {
            return 0;
        }
        // IPv4 total length and IPv6 payload length are 16 bits; leave room for the headers
        return 65535 - 60 - 60;
    }

    /** Software receive coalescing, or null when switched off. */
    public Gro gro() {
        return gro;
    }

    private void internalError(RuntimeException e) {
        if (linkStats.get(LinkCounter.INTERNAL_ERROR) == 0) {
            LOG.log(System.Logger.Level.ERROR, "internal error (further ones only counted)", e);
        }
        linkStats.inc(LinkCounter.INTERNAL_ERROR);
    }

    // ---- run-time address configuration (DHCP) ----

    private volatile DhcpClient dhcp; // read by control threads

    /**
     * Starts a DHCP client (RFC 2131) on this stack's link: it obtains an IPv4 address, router and
     * DNS servers and installs them through {@link DhcpHost}. Call on the loop thread or before
     * the loop runs; a second call returns the running client.
     */
    public DhcpClient startDhcp(DhcpConfig c) throws java.io.IOException {
        if (dhcp == null) {
            dhcp = new DhcpClient(this, udp, mac, c, new DhcpHost());
            dhcp.start();
        }
        return dhcp;
    }

    /** The DHCP client, or null if {@link #startDhcp} was not called. */
    public DhcpClient dhcp() {
        return dhcp;
    }

    /** What the DHCP client may change in this host: its IPv4 address, routes, DNS servers, ARP. */
    private final class DhcpHost implements DhcpClient.Host {
        @Override
        public void bind(Lease l) {
            ipv4.addAddress(l.address(), l.router());
            dnsServersFromDhcp(l.dns());
        }

        @Override
        public void unbind(Lease l) {
            ipv4.removeAddress(l.address());
            dnsServersFromDhcp(java.util.List.of());
        }

        @Override
        public void probe(int ip) {
            arp.probe(ip);
        }

        @Override
        public void watch(int ip, Runnable onConflict) {
            arp.watch(ip, onConflict);
        }

        @Override
        public void announce(int ip) {
            arp.announce(ip);
        }
    }

    private void dnsServersFromDhcp(java.util.List<Integer> servers) {
        resolver.setServers(Resolver.Source.DHCP, servers.stream().map(IpAddr::ofV4).toList());
    }

    // ---- family-independent network-layer services for transports ----

    /**
     * Sends a transport packet to {@code dst} (IPv4-mapped addresses go out over IPv4).
     * {@code src} may be the unspecified address to let routing choose. Takes ownership of
     * {@code p}. Returns false when it could not be sent (no route, too big, no buffer).
     */
    @Override
    public boolean ipOutput(PacketBuf p, long srcHi, long srcLo, long dstHi, long dstLo,
                            int protocol, int ttl, int tos, boolean df) {
        if (IpAddr.isV4Mapped(dstHi, dstLo)) {
            int src = IpAddr.isV4Mapped(srcHi, srcLo) ? (int) srcLo : 0;
            return ipv4.output(p, src, (int) dstLo, protocol, ttl <= 0 ? config.ttl : ttl, tos, df) == Ipv4.Result.OK;
        }
        if (!config.ipv6Enabled) {
            p.release();
            return false;
        }
        return ipv6.output(p, srcHi, srcLo, dstHi, dstLo, protocol, ttl, tos) == Ipv6.Result.OK;
    }

    /** The source address this host uses towards {@code dst}, or null without a route. */
    @Override
    public IpAddr sourceFor(IpAddr dst) {
        if (dst.isV4()) {
            int s = ipv4.sourceFor(dst.v4());
            return s == 0 ? null : IpAddr.ofV4(s);
        }
        if (config.ipv6Enabled && ipv6.staysLocal(dst.hi(), dst.lo())) {
            return dst; // RFC 6724 §5 rule 1: to itself the host speaks from that address
        }
        // RFC 6724 §5 source selection; a destination without a route has no source.
        LocalAddress a = ipv6.selectSource(dst.hi(), dst.lo());
        if (a == null || (!Ipv6Address.isMulticast(dst.hi()) && !ndp.route(dst.hi(), dst.lo()))) {
            return null;
        }
        return IpAddr.of(a.hi(), a.lo());
    }

    /**
     * Whether {@code a} is one of this host's addresses; with local delivery on, the loopback
     * addresses (127.0.0.0/8, ::1) are this host's too, so a socket may bind to them.
     */
    @Override
    public boolean isLocalAddress(long hi, long lo) {
        if (IpAddr.isV4Mapped(hi, lo)) {
            return ipv4.isLocal((int) lo) || ipv4.staysLocal((int) lo);
        }
        return ipv6.isLocal(hi, lo) || ipv6.staysLocal(hi, lo);
    }

    /** The MTU towards {@code dst} (the link MTU until path-MTU discovery lowers it). */
    @Override
    public int pathMtu(long dstHi, long dstLo) {
        if (!IpAddr.isV4Mapped(dstHi, dstLo)) {
            // RFC 8201: lowered by Packet Too Big, aged out.
            return ipv6.pathMtu(dstHi, dstLo);
        }
        return mtu;
    }

    /** Bytes of IP header in front of a transport segment towards {@code dst} (no options). */
    @Override
    public int ipHeaderLength(long dstHi, long dstLo) {
        return IpAddr.isV4Mapped(dstHi, dstLo) ? 20 : 40;
    }

    @Override
    public void portUnreachable(PacketBuf p, boolean v4) {
        // RFC 1122 §4.1.3.1: SHOULD send ICMP Port Unreachable; RFC 4443 §3.1 code 4 for IPv6.
        if (v4) {
            icmp.sendUnreachable(p, Icmpv4.UNREACH_PORT, 0, false);
        } else {
            icmp6.sendError(p, Icmpv6.DEST_UNREACHABLE, Icmpv6.UNREACH_PORT, 0);
        }
    }

    /**
     * The pseudo-header sum for a transport checksum (RFC 793 §3.1, RFC 8200 §8.1); the same as
     * {@link IpOutput#pseudoHeaderSum}, kept for callers not yet moved onto {@link IpOutput}.
     */
    public static long pseudoHeaderSum(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int length) {
        return IpOutput.pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, protocol, length);
    }

    public Counters<LinkCounter> linkStats() {
        return linkStats;
    }

    /** Allocates a buffer for a packet of {@code size} bytes, counting exhaustion. */
    @Override
    public PacketBuf allocate(int size) {
        PacketBuf p = pool.allocate(size);
        if (p == null) {
            linkStats.inc(LinkCounter.DROP_NO_BUFFER);
        }
        return p;
    }
}
