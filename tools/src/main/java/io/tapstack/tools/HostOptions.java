package io.tapstack.tools;

import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.ip6.LocalAddress;
import io.tapstack.link.FaultyLink;
import io.tapstack.link.Link;
import io.tapstack.link.Offloads;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.tap.OffloadSpec;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapLink;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.MacAddress;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The options that bring up a host on a TAP, shared by {@code run} and {@code get}. */
public final class HostOptions {
    /** What {@code --ipv4 dhcp} parses to: obtain the address by DHCP. */
    static final InterfaceAddress DHCP = new InterfaceAddress(0, 0);

    @Option(names = "--tap", required = true, paramLabel = "NAME",
            description = "TAP interface to attach to (created if absent) in the current network namespace.")
    String tap;

    @Option(names = "--ipv4", paramLabel = "ADDR/LEN", converter = Converters.Ipv4Prefix.class,
            description = "IPv4 address and prefix length of the host, e.g. 10.0.0.2/24 (repeatable), or 'dhcp' to obtain "
                    + "address, router and DNS servers from a DHCP server (RFC 2131).")
    List<InterfaceAddress> ipv4 = new ArrayList<>();

    @Option(names = "--dhcp-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "With --ipv4 dhcp: how long to wait for a lease before giving up (default ${DEFAULT-VALUE}).")
    int dhcpTimeoutSeconds;

    @Option(names = "--dns", paramLabel = "ADDR",
            description = "DNS server for name lookups (repeatable); tried before those from DHCP or router advertisements.")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ipv6", paramLabel = "ADDR/LEN|auto",
            description = "IPv6 address and prefix length (e.g. fd00::2/64), or 'auto' for SLAAC from router advertisements (repeatable). A link-local address is always formed.")
    List<String> ipv6 = new ArrayList<>();

    @Option(names = "--no-ipv6", description = "Run without IPv6 (frames of EtherType 0x86DD are dropped).")
    boolean noIpv6;

    @Option(names = "--gateway6", paramLabel = "ADDR",
            description = "Static IPv6 default router (otherwise learnt from router advertisements).")
    String gateway6;

    @Option(names = "--gateway", paramLabel = "ADDR", converter = Converters.Ipv4.class,
            description = "Default IPv4 gateway (must be on a --ipv4 subnet).")
    Integer gateway;

    @Option(names = "--advertise", paramLabel = "PREFIX",
            description = "With run --forward: send Router Advertisements (RFC 4861 §6.2) for this /64 on this interface, "
                    + "so hosts on its link form SLAAC addresses and take the router as their default (repeatable).")
    List<String> advertise = new ArrayList<>();

    @Option(names = "--mac", paramLabel = "MAC", converter = Converters.Mac.class,
            description = "The host's MAC address (default: random, locally administered).")
    MacAddress mac;

    @Option(names = "--mtu", paramLabel = "N", description = "IP MTU of the host (default: the TAP's MTU).")
    Integer mtu;

    @Option(names = "--offload", paramLabel = "LIST", defaultValue = "auto", converter = Converters.Offload.class,
            description = "virtio-net offloads: auto (the fastest the TAP accepts: csum,tso,lro, else less), "
                    + "none, or any of csum,tso,lro (default: ${DEFAULT-VALUE}).")
    Offloads offloads;

    @Option(names = "--queues", paramLabel = "N", defaultValue = "1",
            description = "Queues of a multi-queue TAP (IFF_MULTI_QUEUE), one event loop each; the kernel keeps each flow on one queue (default ${DEFAULT-VALUE}).")
    int queues;

    @Option(names = "--mem-limit", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Memory the host may hold for what peers make it grow (socket buffers, out-of-order data, "
                    + "reassembly, SYN queue, connections, TIME-WAIT), e.g. 64m; above 2/3 of it buffers stop growing, "
                    + "at it new connections and out-of-order data are refused (default: half the maximum Java heap; "
                    + "shared among --queues).")
    Long memLimit;

    @Option(names = "--busy-poll", paramLabel = "MICROS",
            description = "Spin this long after the last packet before sleeping (latency for CPU; default 0, 20 with --idle hybrid).")
    long busyPollMicros;

    @Option(names = "--idle", paramLabel = "POLICY", defaultValue = "sleep",
            description = "When the loop has nothing to do: sleep (in the kernel until a frame, a wake-up or a timer) or "
                    + "hybrid (experimental: spin briefly after work and across the window where a regular arrival is "
                    + "next due) (default: ${DEFAULT-VALUE}).")
    String idlePolicy;

    @Option(names = "--ecn", paramLabel = "MODE", defaultValue = "passive",
            description = "RFC 3168 ECN for TCP: on (ask for it on our SYNs and accept it), passive (accept it when a "
                    + "peer asks, as Linux's default), off (default: ${DEFAULT-VALUE}).")
    String ecn;

    @Option(names = "--fault-rx-loss", paramLabel = "PCT", description = "Drop this %% of received frames (the stack's faulty link).")
    double rxLoss;

    @Option(names = "--fault-tx-loss", paramLabel = "PCT", description = "Drop this %% of sent frames.")
    double txLoss;

    @Option(names = "--fault-delay", paramLabel = "MS", description = "Delay frames in each direction by MS milliseconds.")
    double delayMs;

    @Option(names = "--fault-reorder", paramLabel = "PCT", description = "Delay this %% of frames in each direction by 5 ms more (reordering).")
    double reorder;

    @Option(names = "--fault-duplicate", paramLabel = "PCT", description = "Duplicate this %% of frames in each direction.")
    double duplicate;

    @Option(names = "--fault-corrupt", paramLabel = "PCT", description = "Flip one bit in this %% of received frames.")
    double corrupt;

    @Option(names = "--fault-seed", paramLabel = "N", defaultValue = "1", description = "Seed of the faulty link (default ${DEFAULT-VALUE}).")
    long faultSeed;

    @Option(names = "--trace-tcp", paramLabel = "PORT|all",
            description = "Trace TCP connections with this local or remote port (or all) into --trace-file: "
                    + "every send, retransmission, ACK, SACK, RTO, TLP and recovery with cwnd, SRTT, RTO, ... "
                    + "(read it with 'tapstack trace FILE').")
    String traceTcp;

    @Option(names = "--trace-file", paramLabel = "FILE", description = "Where --trace-tcp writes (default TAP.trace).")
    java.nio.file.Path traceFile;

    /** One queue of a host: its link, stack and loop. */
    public record Queue(TapLink tapLink, FaultyLink faulty, NetStack stack, EventLoop loop) {
    }

    /** A host brought up from these options: one or more queues, each a link, stack and running loop. */
    public static final class Runtime implements AutoCloseable {
        public final List<Queue> queues;
        /** The first queue's, for what is the same on every queue (tables, addresses). */
        public final TapLink tapLink;
        public final FaultyLink faulty;
        public final NetStack stack;
        public final EventLoop loop;
        public final String ipv6Text;
        /** The --trace-tcp file, or null. */
        io.tapstack.tcp.TcpTraceFile trace;
        /** The router joining the queues as interfaces ({@link #openRouter}), or null for one TAP. */
        io.tapstack.Router router;
        /** Per interface of a router: its IPv6 addresses as the ready line shows them. */
        List<String> interfaceIpv6 = List.of();

        Runtime(List<Queue> queues, String ipv6Text) {
            this.queues = List.copyOf(queues);
            Queue q = queues.get(0);
            this.tapLink = q.tapLink();
            this.faulty = q.faulty();
            this.stack = q.stack();
            this.loop = q.loop();
            this.ipv6Text = ipv6Text;
        }

        /** The DHCP lease the ready line reports, or null. */
        io.tapstack.dhcp.Lease lease;

        /** Counters of all queues summed (and the faulty links', the loops'), like netstat -s. */
        public String stats(boolean all) throws Exception {
            List<java.util.Map<String, java.util.Map<String, Long>>> snaps = new ArrayList<>();
            StringBuilder extra = new StringBuilder();
            long passes = 0;
            long alloc = 0;
            long rd = 0;
            long td = 0;
            long dup = 0;
            long reo = 0;
            long cor = 0;
            StringBuilder spread = new StringBuilder();
            for (int i = 0; i < queues.size(); i++) {
                Queue q = queues.get(i);
                FaultyLink f = q.faulty();
                long[] v = q.loop().call(() -> {
                    snaps.add(q.stack().stats().snapshot());
                    return f == null ? new long[5] : new long[] {f.rxDropped(), f.txDropped(), f.duplicated(), f.reordered(), f.corrupted()};
                }).get(5, TimeUnit.SECONDS);
                rd += v[0];
                td += v[1];
                dup += v[2];
                reo += v[3];
                cor += v[4];
                if (i == 0 || q.loop() != queues.get(0).loop()) { // a router's interfaces share one loop
                    passes += q.loop().passes();
                    alloc += q.loop().allocatedBytes();
                }
                if (queues.size() > 1) {
                    java.util.Map<String, Long> link = snaps.get(i).get("link");
                    // a router's interfaces by name, a multi-queue TAP's queues by number
                    String tag = router != null ? q.stack().interfaceName() + "_" : "q" + i + "_";
                    spread.append("    ").append(link.get("rx_frames")).append(" ").append(tag).append("rx_frames\n");
                    spread.append("    ").append(link.get("tx_frames")).append(" ").append(tag).append("tx_frames\n");
                }
            }
            String s = io.tapstack.stats.StackStats.format(io.tapstack.stats.StackStats.sum(snaps), all);
            if (spread.length() > 0) {
                extra.append(router != null ? "interfaces:\n" : "queues:\n").append(spread);
            }
            io.tapstack.dhcp.DhcpClient dhcp = stack.dhcp();
            if (dhcp != null) {
                extra.append(loop.call(() -> dhcpState(stack)).get(5, TimeUnit.SECONDS));
            }
            extra.append("loop:\n    ").append(passes).append(" passes\n    ").append(alloc).append(" allocated_bytes\n");
            if (faulty != null) {
                extra.append("faults:\n    ").append(rd).append(" rx_dropped\n    ").append(td).append(" tx_dropped\n    ")
                        .append(dup).append(" duplicated\n    ").append(reo).append(" reordered\n    ").append(cor).append(" corrupted\n");
            }
            return s + extra;
        }

        /** The IPv4 routing table, one line per route as {@code ip route} prints it. */
        public List<String> routes() throws Exception {
            if (router != null) {
                return loop.call(router::routes).get(5, TimeUnit.SECONDS);
            }
            return loop.call(() -> {
                List<String> l = new ArrayList<>();
                for (io.tapstack.ip.Route r : stack.ipv4().routes().routes()) {
                    l.add(io.tapstack.ip.Ipv4Router.describe(r, stack.interfaceName()));
                }
                return l;
            }).get(5, TimeUnit.SECONDS);
        }

        /** The DHCP client's state and lease, for {@code tapstack stat}. */
        private static String dhcpState(NetStack s) {
            io.tapstack.dhcp.DhcpClient d = s.dhcp();
            io.tapstack.dhcp.Lease l = d.lease();
            StringBuilder b = new StringBuilder("dhcp_client:\n    state ").append(d.state()).append('\n');
            if (l != null) {
                long now = s.now();
                b.append("    lease ").append(l).append('\n');
                if (!l.infinite()) {
                    b.append("    renew_in ").append(Math.max(0, (l.t1At() - now) / 1_000_000_000L)).append("s\n");
                    b.append("    rebind_in ").append(Math.max(0, (l.t2At() - now) / 1_000_000_000L)).append("s\n");
                    b.append("    expires_in ").append(Math.max(0, (l.expiresAt() - now) / 1_000_000_000L)).append("s\n");
                }
            }
            b.append("    dns_servers ").append(s.resolver().servers()).append('\n');
            return b.toString();
        }

        /** Attaches a capture session to every queue's stack (the frame-tap SPI). */
        public void addCapture(io.tapstack.capture.CaptureSession cs) {
            for (Queue q : queues) {
                q.stack().addFrameTap(cs);
            }
        }

        public void removeCapture(io.tapstack.capture.CaptureSession cs) {
            for (Queue q : queues) {
                q.stack().removeFrameTap(cs);
            }
        }

        /** Starts --trace-tcp on every queue (port -1: all). */
        void startTrace(io.tapstack.tcp.TcpTraceFile file, int port) throws Exception {
            trace = file;
            for (int i = 0; i < queues.size(); i++) {
                Queue q = queues.get(i);
                io.tapstack.tcp.TcpTraceSink sink = file.sink(i);
                q.loop().call(() -> {
                    q.stack().tcp().trace(port, sink);
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
        }

        /** Records written to the --trace-tcp file after flushing every traced connection (0 without tracing). */
        public long flushTrace() {
            if (trace == null) {
                return 0;
            }
            for (Queue q : queues) {
                try {
                    q.loop().call(() -> {
                        q.stack().tcp().flushTraces();
                        return null;
                    }).get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a loop that failed or stopped: its records are lost, the others are kept
                }
            }
            return trace.records();
        }

        @Override
        public void close() {
            flushTrace();
            for (Queue q : queues) {
                q.loop().close();
            }
            if (trace != null) {
                try {
                    trace.close();
                } catch (java.io.IOException ignored) {
                    // nothing more to write
                }
            }
            for (Queue q : queues) {
                q.tapLink().close();
            }
        }
    }

    void validate() {
        if (ipv4.isEmpty() && ipv6.isEmpty()) {
            throw new UserError("no address: give --ipv4 ADDR/LEN (e.g. --ipv4 10.0.0.2/24) or --ipv4 dhcp, and/or --ipv6 ADDR/LEN|auto");
        }
        if (noIpv6 && !ipv6.isEmpty()) {
            throw new UserError("--no-ipv6 contradicts --ipv6");
        }
        if (busyPollMicros < 0 || busyPollMicros > 1_000_000) {
            throw new UserError("--busy-poll must be 0..1000000 microseconds");
        }
        idlePolicy(); // a bad --idle is reported before the TAP is touched
        ecnMode();
        for (String a : ipv6) {
            if (!a.equalsIgnoreCase("auto")) {
                parseV6(a);
            }
        }
        if (dhcp() && queues > 1) {
            throw new UserError("--ipv4 dhcp works with one queue only (--queues 1)");
        }
        if (dhcp() && (dhcpTimeoutSeconds < 1 || dhcpTimeoutSeconds > 3600)) {
            throw new UserError("--dhcp-timeout must be 1..3600 seconds");
        }
        dnsServers(); // a bad --dns is reported before the TAP is touched
        if (gateway != null && !dhcp() && ipv4.stream().noneMatch(a -> a.contains(gateway))) {
            throw new UserError("gateway " + Ipv4Address.toString(gateway) + " is not on any --ipv4 subnet");
        }
        if (mtu != null && (mtu < 1280 || mtu > 65_000)) {
            throw new UserError("--mtu " + mtu + " out of range 1280..65000");
        }
        for (double p : new double[] {rxLoss, txLoss, reorder, duplicate, corrupt}) {
            if (p < 0 || p > 100) {
                throw new UserError("fault percentages must be within 0..100");
            }
        }
        if (delayMs < 0) {
            throw new UserError("--fault-delay must not be negative");
        }
        if (queues < 1 || queues > 16) {
            throw new UserError("--queues must be 1..16");
        }
        if (memLimit != null && memLimit / queues < io.tapstack.buffer.MemoryBudget.MIN_LIMIT) {
            throw new UserError("--mem-limit must be at least " + io.tapstack.buffer.MemoryBudget.MIN_LIMIT / 1024
                    + "k per queue, not " + memLimit + " bytes");
        }
        tracePort();
        if (traceFile != null && traceTcp == null) {
            throw new UserError("--trace-file needs --trace-tcp PORT|all");
        }
    }

    /** --trace-tcp as a port, -1 for all, 0 when absent. */
    int tracePort() {
        if (traceTcp == null) {
            return 0;
        }
        if (traceTcp.equalsIgnoreCase("all")) {
            return -1;
        }
        try {
            int p = Integer.parseInt(traceTcp);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserError("--trace-tcp must be a port 1..65535 or 'all', not '" + traceTcp + "'");
    }

    private boolean faults() {
        return rxLoss > 0 || txLoss > 0 || delayMs > 0 || reorder > 0 || duplicate > 0 || corrupt > 0;
    }

    StackConfig config() {
        StackConfig cfg = new StackConfig();
        if (mac != null) {
            cfg.mac = mac;
        }
        ipv4.stream().filter(a -> a != DHCP).forEach(cfg.ipv4::add);
        if (gateway != null) {
            cfg.gateway4 = gateway;
        }
        // one budget per loop (each queue's stack): the host's limit shared among them
        long mem = memLimit != null ? memLimit : io.tapstack.buffer.MemoryBudget.defaultLimit();
        cfg.memLimit = Math.max(io.tapstack.buffer.MemoryBudget.MIN_LIMIT, mem / queues);
        cfg.ipv6Enabled = !noIpv6;
        cfg.ipv6Auto = false;
        for (String a : ipv6) {
            if (a.equalsIgnoreCase("auto")) {
                cfg.ipv6Auto = true;
            } else {
                cfg.ipv6.add(parseV6(a));
            }
        }
        if (gateway6 != null) {
            try {
                cfg.gateway6 = IpAddr.parse(gateway6);
            } catch (IllegalArgumentException e) {
                throw new UserError("--gateway6: " + e.getMessage());
            }
            if (cfg.gateway6.isV4()) {
                throw new UserError("--gateway6 " + gateway6 + " is not an IPv6 address");
            }
        }
        return cfg;
    }

    /** The loop's idle policy from --idle and --busy-poll. */
    io.tapstack.loop.IdlePolicy idlePolicy() {
        long spin = busyPollMicros * 1000;
        return switch (idlePolicy) {
            case "hybrid" -> spin > 0 ? new io.tapstack.loop.IdlePolicy(spin, 1_000_000) : io.tapstack.loop.IdlePolicy.hybrid();
            case "sleep" -> io.tapstack.loop.IdlePolicy.spinOnly(spin);
            default -> throw new UserError("--idle must be hybrid or sleep, not '" + idlePolicy + "'");
        };
    }

    /** The TCP ECN policy from --ecn (RFC 3168 §6.1.1). */
    io.tapstack.tcp.TcpConfig.EcnMode ecnMode() {
        return switch (ecn) {
            case "on" -> io.tapstack.tcp.TcpConfig.EcnMode.ON;
            case "passive" -> io.tapstack.tcp.TcpConfig.EcnMode.PASSIVE;
            case "off" -> io.tapstack.tcp.TcpConfig.EcnMode.OFF;
            default -> throw new UserError("--ecn must be on, passive or off, not '" + ecn + "'");
        };
    }

    /** Opens the TAP (each queue), builds the stacks, starts their loops and waits for DAD. */
    Runtime open(String threadName) throws Exception {
        validate();
        List<Queue> qs = new ArrayList<>();
        StackConfig first = null;
        try {
            for (int i = 0; i < queues; i++) {
                StackConfig cfg = config();
                if (first == null) {
                    first = cfg;
                } else {
                    // one host on every queue: the same MAC and the same RFC 7217 secret
                    cfg.mac = first.mac;
                    cfg.ipv6StableSecret = first.ipv6StableSecret;
                }
                TapLink link = openTap(queues > 1, i == 0);
                EventLoop loop = null;
                try {
                    FaultyLink[] faulty = new FaultyLink[1];
                    NetStack stack = buildStack(i, cfg, link, faulty);
                    loop = new EventLoop(stack, queues > 1 ? threadName + "-q" + i : threadName, idlePolicy());
                    qs.add(new Queue(link, faulty[0], stack, loop));
                } catch (Exception | Error e) {
                    link.close();
                    throw e;
                }
            }
            if (qs.size() > 1) {
                // ARP and neighbour discovery reach one queue; every queue's stack must learn them
                for (Queue q : qs) {
                    q.stack().setFanout((buf, off, len) -> {
                        byte[] copy = new byte[len];
                        buf.get(off, copy);
                        for (Queue other : qs) {
                            if (other != q) {
                                try {
                                    other.loop().execute(() -> other.stack().receiveMirrored(copy));
                                } catch (IllegalStateException notRunning) {
                                    // that queue is starting or stopping; it will ask again
                                }
                            }
                        }
                    });
                }
            }
            for (Queue q : qs) {
                q.loop().start();
            }
            for (Queue q : qs) {
                q.loop().call(() -> {
                    q.stack().start();
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
            List<IpAddr> dnsServers = dnsServers();
            for (Queue q : qs) {
                q.loop().call(() -> {
                    q.stack().resolver().setServers(io.tapstack.dns.Resolver.Source.STATIC, dnsServers);
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
            String v6 = first.ipv6Enabled ? awaitDad(qs.get(0).loop(), qs.get(0).stack()) : "";
            Runtime rt = new Runtime(qs, v6);
            if (traceTcp != null) {
                java.nio.file.Path f = traceFile != null ? traceFile : java.nio.file.Path.of(tap + ".trace");
                io.tapstack.tcp.TcpTraceFile file;
                try {
                    file = io.tapstack.tcp.TcpTraceFile.create(f);
                } catch (java.io.IOException e) {
                    throw new UserError("--trace-file " + f + ": " + e.getMessage());
                }
                rt.startTrace(file, tracePort());
            }
            if (dhcp()) {
                rt.lease = awaitLease(rt.loop, rt.stack, dhcpTimeoutSeconds);
            }
            return rt;
        } catch (Exception | Error e) {
            for (Queue q : qs) {
                q.loop().close();
                q.tapLink().close();
            }
            throw e;
        }
    }

    /**
     * The stack of queue {@code i} on {@code link} (with a faulty link in front when fault
     * options are given, returned in {@code faultyOut[0]}).
     */
    private NetStack buildStack(int i, StackConfig cfg, TapLink link, FaultyLink[] faultyOut) {
        cfg.mtu = link.mtu();
        if (queues > 1) {
            // disjoint ephemeral ports per queue, so two queues never pick the same flow
            int span = (60999 - 32768 + 1) / queues;
            cfg.ephemeralPortLow = 32768 + i * span;
            cfg.ephemeralPortHigh = cfg.ephemeralPortLow + span - 1;
        }
        FaultyLink faulty = null;
        Link l = link;
        if (faults()) {
            faulty = new FaultyLink(link, Clock.SYSTEM, faultSeed + i);
            faulty.rx.loss(rxLoss / 100).duplicate(duplicate / 100).reorder(reorder / 100).corrupt(corrupt / 100)
                    .delay((long) (delayMs * 1_000_000));
            faulty.tx.loss(txLoss / 100).duplicate(duplicate / 100).reorder(reorder / 100)
                    .delay((long) (delayMs * 1_000_000));
            l = faulty;
        }
        faultyOut[0] = faulty;
        io.tapstack.tcp.TcpConfig tc = new io.tapstack.tcp.TcpConfig();
        tc.ephemeralLow = cfg.ephemeralPortLow;
        tc.ephemeralHigh = cfg.ephemeralPortHigh;
        tc.ecn = ecnMode();
        return new NetStack(l, cfg, tc, Clock.SYSTEM);
    }

    /** Opens one queue of the TAP (the first one also sets the device up and deepens its queue); the caller owns the link. */
    private TapLink openTap(boolean multiQueue, boolean firstQueue) {
        // auto (null): the first queue takes the fastest set the kernel accepts, the others the same
        TapLink link = offloads == null ? TapLink.openFastest(tap, mtu != null ? mtu : 0, multiQueue)
                : TapLink.open(tap, mtu != null ? mtu : 0, offloads, multiQueue);
        if (offloads == null) {
            offloads = link.offloads();
        }
        if (firstQueue) {
            try {
                TapDevice dev = link.device();
                if (dev.created()) {
                    dev.setUp();
                }
                try {
                    // A reader that sleeps lets a 1000-frame queue overflow; 10000 does not (measured).
                    dev.setTxQueueLength(10_000);
                } catch (RuntimeException ignored) {
                    // not fatal: only a shallower queue
                }
            } catch (RuntimeException | Error e) {
                link.close();
                throw e;
            }
        }
        return link;
    }

    /**
     * A router (or multi-homed host): one interface per element of {@code ifaces}, each from its
     * own options (TAP, addresses, MAC, MTU, offloads), all run by one event loop with one IPv4
     * routing table ({@link io.tapstack.Router}); {@code routes} are static routes, each
     * {prefix, length, gateway}.
     */
    static Runtime openRouter(List<HostOptions> ifaces, boolean forward, List<int[]> routes, List<long[]> routes6,
                              String threadName) throws Exception {
        for (HostOptions h : ifaces) {
            h.validate();
            if (h.queues != 1) {
                throw new UserError("--queues applies to a single --tap; a router runs every interface on one loop");
            }
        }
        List<Queue> qs = new ArrayList<>();
        List<TapLink> links = new ArrayList<>();
        EventLoop loop = null;
        try {
            List<NetStack> stacks = new ArrayList<>();
            List<FaultyLink> faulties = new ArrayList<>();
            for (HostOptions h : ifaces) {
                TapLink link = h.openTap(false, true);
                links.add(link);
                FaultyLink[] f = new FaultyLink[1];
                StackConfig cfg = h.config();
                if (h.memLimit == null) { // one loop for every interface: the default budget is shared among them
                    cfg.memLimit = Math.max(io.tapstack.buffer.MemoryBudget.MIN_LIMIT,
                            io.tapstack.buffer.MemoryBudget.defaultLimit() / ifaces.size());
                }
                cfg.softwareGro = !forward; // GRO leaves merged segments' checksums stale: for local delivery only
                stacks.add(h.buildStack(0, cfg, link, f));
                faulties.add(f[0]);
            }
            io.tapstack.Router router = new io.tapstack.Router(stacks, forward);
            try {
                for (int[] r : routes) {
                    router.ipv4().addRoute(r[0], r[1], r[2]);
                }
                for (long[] r : routes6) {
                    router.ipv6().addRoute(r[0], r[1], (int) r[2], r[3], r[4], -1);
                }
            } catch (IllegalArgumentException e) {
                throw new UserError("--route: " + e.getMessage());
            }
            for (int i = 0; i < ifaces.size(); i++) {
                for (String a : ifaces.get(i).advertise) {
                    try {
                        Ipv6InterfaceAddress p = Ipv6InterfaceAddress.parse(a);
                        router.ipv6().advertise(i, p.hi(), p.lo(), p.prefixLength());
                    } catch (IllegalArgumentException e) {
                        throw new UserError("--advertise " + a + ": " + e.getMessage());
                    }
                }
            }
            loop = new EventLoop(stacks, threadName, ifaces.get(0).idlePolicy());
            for (int i = 0; i < stacks.size(); i++) {
                qs.add(new Queue(links.get(i), faulties.get(i), stacks.get(i), loop));
            }
            loop.start();
            loop.call(() -> {
                router.start();
                return null;
            }).get(5, TimeUnit.SECONDS);
            List<String> v6 = new ArrayList<>();
            for (int i = 0; i < stacks.size(); i++) {
                v6.add(stacks.get(i).config().ipv6Enabled ? awaitDad(loop, stacks.get(i)) : "");
            }
            Runtime rt = new Runtime(qs, v6.get(0));
            rt.router = router;
            rt.interfaceIpv6 = v6;
            return rt;
        } catch (Exception | Error e) {
            if (loop != null) {
                loop.close();
            }
            for (TapLink l : links) {
                l.close();
            }
            throw e;
        }
    }

    /** Whether {@code --ipv4 dhcp} was given. */
    boolean dhcp() {
        return ipv4.contains(DHCP);
    }

    private List<IpAddr> dnsServers() {
        List<IpAddr> l = new ArrayList<>();
        for (String d : dns) {
            try {
                l.add(IpAddr.parse(d));
            } catch (IllegalArgumentException e) {
                throw new UserError("--dns: " + e.getMessage());
            }
        }
        return l;
    }

    /**
     * Starts the DHCP client and waits (bounded) until it holds a lease, so that the ready line
     * shows a usable address; fails with what the client saw otherwise.
     */
    private static io.tapstack.dhcp.Lease awaitLease(EventLoop loop, NetStack stack, int timeoutSeconds) throws Exception {
        loop.call(() -> {
            try {
                return stack.startDhcp(new io.tapstack.dhcp.DhcpConfig());
            } catch (java.io.IOException e) {
                throw new UserError("DHCP: cannot open UDP port 68: " + e.getMessage());
            }
        }).get(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            io.tapstack.dhcp.Lease l = stack.dhcp().lease();
            if (l != null) {
                return l;
            }
            if (System.nanoTime() > deadline) {
                String why = loop.call(() -> {
                    var c = stack.dhcp().counters();
                    return "state " + stack.dhcp().state() + ", " + c.get(io.tapstack.dhcp.DhcpCounter.TX_DISCOVER) + " DISCOVER and "
                            + c.get(io.tapstack.dhcp.DhcpCounter.TX_REQUEST) + " REQUEST sent, " + c.get(io.tapstack.dhcp.DhcpCounter.RX_OFFER)
                            + " OFFER, " + c.get(io.tapstack.dhcp.DhcpCounter.RX_ACK) + " ACK, " + c.get(io.tapstack.dhcp.DhcpCounter.RX_NAK)
                            + " NAK received";
                }).get(5, TimeUnit.SECONDS);
                throw new UserError("no DHCP lease within " + timeoutSeconds + " s (" + why + ")");
            }
            Thread.sleep(50);
        }
    }

    /** The ready line's description of the host. */
    String describe(Runtime r) {
        return describe(r.stack, r.ipv6Text, r.router != null ? 1 : r.queues.size(), r.faulty != null, r.lease)
                + (r.trace != null ? " trace=" + (traceFile != null ? traceFile : tap + ".trace") + "(" + traceTcp + ")" : "");
    }

    /** The ready line's description of one interface (a host's only one, or one of a router's). */
    String describe(NetStack stack, String ipv6Text, int queueCount, boolean faulty, io.tapstack.dhcp.Lease l) {
        List<String> v4 = new ArrayList<>();
        ipv4.stream().filter(a -> a != DHCP).forEach(a -> v4.add(a.toString()));
        if (l != null) {
            v4.add(l.address().toString());
        }
        Integer gw = gateway != null ? gateway : l != null && l.router() != 0 ? Integer.valueOf(l.router()) : null;
        List<IpAddr> resolvers = new ArrayList<>(dnsServers());
        if (l != null) {
            l.dns().forEach(d -> resolvers.add(IpAddr.ofV4(d)));
        }
        return "tap=" + tap + " mac=" + stack.macAddress()
                + (v4.isEmpty() ? "" : " ipv4=" + String.join(",", v4))
                + (ipv6Text.isEmpty() ? "" : " ipv6=" + ipv6Text)
                + (gw != null ? " gateway=" + Ipv4Address.toString(gw) : "")
                + (l != null ? " dhcp=" + Ipv4Address.toString(l.server()) + " lease=" + (l.infinite() ? "infinite" : l.leaseSeconds() + "s") : "")
                + (resolvers.isEmpty() ? "" : " dns=" + resolvers.stream().distinct().map(Object::toString).collect(Collectors.joining(",")))
                + " mtu=" + stack.mtu() + " offload=" + OffloadSpec.format(offloads)
                + (queueCount > 1 ? " queues=" + queueCount : "")
                + (faulty ? " faults=on(seed " + faultSeed + ")" : "");
    }

    /** Options that belong to the interface of the {@code --tap} before them; the rest are the loop's and the command's. */
    static final java.util.Set<String> LOOP_WIDE = java.util.Set.of("--queues", "--busy-poll", "--idle");

    /**
     * Waits (at most 5 s) until Duplicate Address Detection has finished for every address the
     * host has so far (RFC 4862 §5.4), so that the ready line lists usable addresses only.
     */
    private static String awaitDad(EventLoop loop, NetStack stack) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            List<String> state = loop.call(() -> {
                List<String> l = new ArrayList<>();
                for (LocalAddress a : stack.ipv6().addresses()) {
                    if (a.state() == LocalAddress.State.TENTATIVE) {
                        return null;
                    }
                    if (a.state() != LocalAddress.State.DUPLICATE) {
                        l.add(Ipv6Address.toString(a.hi(), a.lo()) + "/" + a.prefixLength());
                    }
                }
                return l;
            }).get(5, TimeUnit.SECONDS);
            if (state != null) {
                return String.join(",", state);
            }
            if (System.nanoTime() > deadline) {
                return "(duplicate address detection still running)";
            }
            Thread.sleep(50);
        }
    }

    private static Ipv6InterfaceAddress parseV6(String a) {
        try {
            return Ipv6InterfaceAddress.parse(a);
        } catch (IllegalArgumentException e) {
            throw new UserError("--ipv6: " + e.getMessage());
        }
    }
}
