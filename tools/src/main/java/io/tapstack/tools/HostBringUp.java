package io.tapstack.tools;

import io.tapstack.EventLoop;
import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.ip6.LocalAddress;
import io.tapstack.link.FaultyLink;
import io.tapstack.link.Link;
import io.tapstack.loop.Clock;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapLink;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.wire.Ipv6InterfaceAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Brings a host up from its {@link HostOptions}: opens the TAP (one file descriptor per queue, the
 * device set up and its transmit queue deepened), puts a faulty link in front when fault options
 * are given, builds one {@link NetStack} per queue and one {@link EventLoop} each (or, for a router,
 * one stack per interface on one loop), starts them, then waits, bounded, for what the ready line
 * reports: Duplicate Address Detection (RFC 4862 §5.4) and, with {@code --ipv4 dhcp}, a lease
 * (RFC 2131). Whatever was opened is closed again if a step fails.
 */
final class HostBringUp {
    private HostBringUp() {
    }

    /** Opens the TAP (each queue), builds the stacks, starts their loops and waits for DAD. */
    static HostRuntime open(HostOptions o, String threadName) throws Exception {
        o.validate();
        List<HostRuntime.Queue> qs = new ArrayList<>();
        StackConfig first = null;
        try {
            for (int i = 0; i < o.queues; i++) {
                StackConfig cfg = o.config();
                if (first == null) {
                    first = cfg;
                } else {
                    // one host on every queue: the same MAC and the same RFC 7217 secret
                    cfg.mac = first.mac;
                    cfg.ipv6StableSecret = first.ipv6StableSecret;
                }
                TapLink link = openTap(o, o.queues > 1, i == 0);
                EventLoop loop = null;
                try {
                    FaultyLink[] faulty = new FaultyLink[1];
                    NetStack stack = buildStack(o, i, cfg, link, faulty);
                    loop = new EventLoop(stack, o.queues > 1 ? threadName + "-q" + i : threadName, o.idlePolicy());
                    qs.add(new HostRuntime.Queue(link, faulty[0], stack, loop));
                } catch (Exception | Error e) {
                    link.close();
                    throw e;
                }
            }
            if (qs.size() > 1) {
                // ARP and neighbour discovery reach one queue; every queue's stack must learn them
                for (HostRuntime.Queue q : qs) {
                    q.stack().setFanout((buf, off, len) -> {
                        byte[] copy = new byte[len];
                        buf.get(off, copy);
                        for (HostRuntime.Queue other : qs) {
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
            for (HostRuntime.Queue q : qs) {
                q.loop().start();
            }
            for (HostRuntime.Queue q : qs) {
                q.loop().call(() -> {
                    q.stack().start();
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
            List<IpAddr> dnsServers = o.dnsServers();
            for (HostRuntime.Queue q : qs) {
                q.loop().call(() -> {
                    q.stack().resolver().setServers(io.tapstack.dns.Resolver.Source.STATIC, dnsServers);
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
            String v6 = first.ipv6Enabled ? awaitDad(qs.get(0).loop(), qs.get(0).stack()) : "";
            HostRuntime rt = new HostRuntime(qs, v6);
            if (o.traceTcp != null) {
                java.nio.file.Path f = o.traceFile != null ? o.traceFile : java.nio.file.Path.of(o.tap + ".trace");
                io.tapstack.tcp.TcpTraceFile file;
                try {
                    file = io.tapstack.tcp.TcpTraceFile.create(f);
                } catch (java.io.IOException e) {
                    throw new UserError("--trace-file " + f + ": " + e.getMessage());
                }
                rt.startTrace(file, o.tracePort());
            }
            if (o.dhcp()) {
                rt.lease = awaitLease(rt.loop, rt.stack, o.dhcpTimeoutSeconds);
            }
            return rt;
        } catch (Exception | Error e) {
            for (HostRuntime.Queue q : qs) {
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
    private static NetStack buildStack(HostOptions o, int i, StackConfig cfg, TapLink link, FaultyLink[] faultyOut) {
        cfg.mtu = link.mtu();
        if (o.queues > 1) {
            // disjoint ephemeral ports per queue, so two queues never pick the same flow
            int span = (60999 - 32768 + 1) / o.queues;
            cfg.ephemeralPortLow = 32768 + i * span;
            cfg.ephemeralPortHigh = cfg.ephemeralPortLow + span - 1;
        }
        FaultyLink faulty = null;
        Link l = link;
        if (o.faults()) {
            faulty = new FaultyLink(link, Clock.SYSTEM, o.faultSeed + i);
            faulty.rx.loss(o.rxLoss / 100).duplicate(o.duplicate / 100).reorder(o.reorder / 100).corrupt(o.corrupt / 100)
                    .delay((long) (o.delayMs * 1_000_000));
            faulty.tx.loss(o.txLoss / 100).duplicate(o.duplicate / 100).reorder(o.reorder / 100)
                    .delay((long) (o.delayMs * 1_000_000));
            l = faulty;
        }
        faultyOut[0] = faulty;
        io.tapstack.tcp.TcpConfig tc = new io.tapstack.tcp.TcpConfig();
        tc.ephemeralLow = cfg.ephemeralPortLow;
        tc.ephemeralHigh = cfg.ephemeralPortHigh;
        tc.ecn = o.ecnMode();
        o.tcpBuffers(tc);
        return new NetStack(l, cfg, tc, Clock.SYSTEM);
    }

    /** Opens one queue of the TAP (the first one also sets the device up and deepens its queue); the caller owns the link. */
    private static TapLink openTap(HostOptions o, boolean multiQueue, boolean firstQueue) {
        // auto (null): the first queue takes the fastest set the kernel accepts, the others the same
        TapLink link = o.offloads == null ? TapLink.openFastest(o.tap, o.mtu != null ? o.mtu : 0, multiQueue)
                : TapLink.open(o.tap, o.mtu != null ? o.mtu : 0, o.offloads, multiQueue);
        if (o.offloads == null) {
            o.offloads = link.offloads();
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
    static HostRuntime openRouter(List<HostOptions> ifaces, boolean forward, List<int[]> routes, List<long[]> routes6,
                              String threadName) throws Exception {
        for (HostOptions h : ifaces) {
            h.validate();
            if (h.queues != 1) {
                throw new UserError("--queues applies to a single --tap; a router runs every interface on one loop");
            }
        }
        List<HostRuntime.Queue> qs = new ArrayList<>();
        List<TapLink> links = new ArrayList<>();
        EventLoop loop = null;
        try {
            List<NetStack> stacks = new ArrayList<>();
            List<FaultyLink> faulties = new ArrayList<>();
            for (HostOptions h : ifaces) {
                TapLink link = openTap(h, false, true);
                links.add(link);
                FaultyLink[] f = new FaultyLink[1];
                StackConfig cfg = h.config();
                if (h.memLimit == null) { // one loop for every interface: the default budget is shared among them
                    cfg.memLimit = Math.max(io.tapstack.buffer.MemoryBudget.MIN_LIMIT,
                            io.tapstack.buffer.MemoryBudget.defaultLimit() / ifaces.size());
                }
                cfg.softwareGro = !forward; // GRO leaves merged segments' checksums stale: for local delivery only
                stacks.add(buildStack(h, 0, cfg, link, f));
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
                qs.add(new HostRuntime.Queue(links.get(i), faulties.get(i), stacks.get(i), loop));
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
            HostRuntime rt = new HostRuntime(qs, v6.get(0));
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
}
