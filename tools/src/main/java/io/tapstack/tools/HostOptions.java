package io.tapstack.tools;

import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.Ipv6InterfaceAddress;
import io.tapstack.link.Offloads;
import io.tapstack.tap.OffloadSpec;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The options that bring up a host on a TAP, shared by {@code run}, {@code get} and
 * {@code resolve}: the picocli fields, their validation (before the TAP is touched), the
 * {@link StackConfig} they make, and the ready line that describes the host. {@link #open} hands
 * them to {@link HostBringUp}, which returns the running {@link HostRuntime}.
 */
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

    @Option(names = "--tcp-rmem", paramLabel = "SIZE[,MAX]", split = ",", converter = Converters.Size.class,
            description = "TCP receive buffer per connection, as Linux's tcp_rmem default and max: it starts at SIZE "
                    + "(default 256k) and auto-tuning grows it up to MAX (default 4m) for a reader that keeps up; "
                    + "MAX at or below SIZE turns auto-tuning off.")
    List<Long> tcpRmem;

    @Option(names = "--tcp-wmem", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "TCP send buffer per connection (default 256k), as Linux's tcp_wmem default.")
    Long tcpWmem;

    @Option(names = "--busy-poll", paramLabel = "MICROS",
            description = "Spin this long after the last packet before sleeping (latency for CPU; default 20 with --idle hybrid, 0 with --idle sleep).")
    long busyPollMicros;

    @Option(names = "--idle", paramLabel = "POLICY", defaultValue = "hybrid",
            description = "When the loop has nothing to do: hybrid (spin 20 us after work and across the window where a "
                    + "regular arrival is next due, otherwise sleep) or sleep (in the kernel until a frame, a wake-up or "
                    + "a timer) (default: ${DEFAULT-VALUE}).")
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
        if (tcpRmem != null) {
            if (tcpRmem.isEmpty() || tcpRmem.size() > 2) {
                throw new UserError("--tcp-rmem takes SIZE or SIZE,MAX");
            }
            for (long v : tcpRmem) {
                bufferSize("--tcp-rmem", v);
            }
        }
        if (tcpWmem != null) {
            bufferSize("--tcp-wmem", tcpWmem);
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

    boolean faults() {
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
        io.tapstack.loop.IdlePolicy p = io.tapstack.loop.IdlePolicy.named(idlePolicy, busyPollMicros * 1000);
        if (p == null) {
            throw new UserError("--idle must be hybrid or sleep, not '" + idlePolicy + "'");
        }
        return p;
    }

    /** Socket buffers from 4 KiB (one ring page) to 64 MiB (a window scale of 10, RFC 7323 §2.3). */
    private static void bufferSize(String option, long v) {
        if (v < 4096 || v > 64L * 1024 * 1024) {
            throw new UserError(option + " sizes must be 4k..64m, not " + v + " bytes");
        }
    }

    /** --tcp-rmem and --tcp-wmem into the TCP configuration (unset: TcpConfig's defaults). */
    void tcpBuffers(io.tapstack.tcp.TcpConfig tc) {
        if (tcpRmem != null) {
            tc.receiveBufferSize = (int) (long) tcpRmem.get(0);
            tc.receiveBufferMax = tcpRmem.size() > 1 ? (int) (long) tcpRmem.get(1) : Math.max(tc.receiveBufferMax, tc.receiveBufferSize);
        }
        if (tcpWmem != null) {
            tc.sendBufferSize = (int) (long) tcpWmem;
        }
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

    /** Opens the TAP (each queue), builds the stacks, starts their loops and waits for DAD ({@link HostBringUp#open}). */
    HostRuntime open(String threadName) throws Exception {
        return HostBringUp.open(this, threadName);
    }

    /** Whether {@code --ipv4 dhcp} was given. */
    boolean dhcp() {
        return ipv4.contains(DHCP);
    }

    List<IpAddr> dnsServers() {
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

    /** The ready line's description of the host. */
    String describe(HostRuntime r) {
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

    private static Ipv6InterfaceAddress parseV6(String a) {
        try {
            return Ipv6InterfaceAddress.parse(a);
        } catch (IllegalArgumentException e) {
            throw new UserError("--ipv6: " + e.getMessage());
        }
    }
}
