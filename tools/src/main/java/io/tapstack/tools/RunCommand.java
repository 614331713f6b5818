package io.tapstack.tools;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.ip.InterfaceAddress;
import io.tapstack.ip6.Ipv6InterfaceAddress;
import io.tapstack.ip6.LocalAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6Address;
import io.tapstack.loop.Clock;
import io.tapstack.loop.EventLoop;
import io.tapstack.service.Service;
import io.tapstack.service.ServiceOptions;
import io.tapstack.service.ServiceRegistry;
import io.tapstack.tap.OffloadSpec;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapLink;
import io.tapstack.link.Offloads;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** {@code tapstack run}: a host on a TAP until SIGINT/SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a host on a TAP device until SIGINT or SIGTERM.")
public final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--tap", required = true, paramLabel = "NAME",
            description = "TAP interface to attach to (created if absent) in the current network namespace.")
    String tap;

    @Option(names = "--ipv4", paramLabel = "ADDR/LEN", converter = Converters.Ipv4Prefix.class,
            description = "IPv4 address and prefix length of the host, e.g. 10.0.0.2/24 (repeatable).")
    List<InterfaceAddress> ipv4 = new ArrayList<>();

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

    @Option(names = "--mac", paramLabel = "MAC", converter = Converters.Mac.class,
            description = "The host's MAC address (default: random, locally administered).")
    MacAddress mac;

    @Option(names = "--mtu", paramLabel = "N",
            description = "IP MTU of the host (default: the TAP's MTU).")
    Integer mtu;

    @Option(names = "--services", paramLabel = "LIST", split = ",",
            description = "Built-in services to start, comma-separated (echo, discard, http, …).")
    List<String> services = new ArrayList<>();

    @Option(names = "--http-root", paramLabel = "DIR", description = "Directory the http service serves.")
    Path httpRoot;

    @Option(names = "--offload", paramLabel = "LIST", defaultValue = "none", converter = Converters.Offload.class,
            description = "virtio-net offloads: none, or any of csum,tso,lro (default: ${DEFAULT-VALUE}).")
    Offloads offloads;

    @Option(names = "--busy-poll", paramLabel = "MICROS",
            description = "Spin this long after the last packet before sleeping (latency for CPU; default 0).")
    long busyPollMicros;

    @Option(names = "--control", paramLabel = "PATH",
            description = "Control socket for 'tapstack stat/capture' (default /run/tapstack/TAP.sock).")
    Path control;

    @Option(names = "--quiet", description = "Do not print counters at shutdown.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        validate();
        StackConfig cfg = new StackConfig();
        if (mac != null) {
            cfg.mac = mac;
        }
        cfg.ipv4.addAll(ipv4);
        if (gateway != null) {
            cfg.gateway4 = gateway;
        }
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
        TapLink link = TapLink.open(tap, mtu != null ? mtu : 0, offloads);
        TapDevice dev = link.device();
        EventLoop loop = null;
        List<Service> started = new ArrayList<>();
        ControlServer controlServer = null;
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        try {
            if (dev.created()) {
                dev.setUp();
            }
            // A reader that sleeps lets a 1000-frame queue overflow; 10000 does not (measured).
            try {
                dev.setTxQueueLength(10_000);
            } catch (RuntimeException ignored) {
                // not fatal: only a deeper queue
            }
            int linkMtu = link.mtu();
            cfg.mtu = linkMtu;
            NetStack stack = new NetStack(link, cfg, Clock.SYSTEM);
            loop = new EventLoop(stack, "tapstack-" + tap, busyPollMicros * 1000);
            loop.start();
            ServiceOptions so = new ServiceOptions();
            so.httpRoot = httpRoot;
            for (String s : services) {
                started.add(ServiceRegistry.get(s).start(loop, so));
            }
            loop.call(() -> {
                stack.start();
                return null;
            }).get(5, TimeUnit.SECONDS);
            String v6 = cfg.ipv6Enabled ? awaitDad(loop, stack) : "";
            controlServer = new ControlServer(control != null ? control : ControlServer.defaultPath(tap), loop);
            out.println("tapstack: ready tap=" + tap + " mac=" + cfg.mac
                    + (ipv4.isEmpty() ? "" : " ipv4=" + ipv4.stream().map(Object::toString).collect(Collectors.joining(",")))
                    + (v6.isEmpty() ? "" : " ipv6=" + v6)
                    + (gateway != null ? " gateway=" + Ipv4Address.toString(gateway) : "")
                     + " mtu=" + linkMtu + " offload=" + OffloadSpec.format(offloads) + " control=" + controlServer.path()
                    + (started.isEmpty() ? "" : " services=" + started.stream().map(Service::describe).collect(Collectors.joining("; "))));
            out.flush();
            while (!stop.await(1, TimeUnit.SECONDS)) {
                if (loop.failure() != null) {
                    throw new UserError("event loop failed: " + loop.failure());
                }
            }
            controlServer.close();
            controlServer = null;
            for (Service s : started) {
                s.close();
            }
            started.clear();
            String stats = loop.call(() -> stack.stats().format(false)).get(5, TimeUnit.SECONDS);
            loop.close();
            loop = null;
            if (!quiet) {
                out.println("tapstack: stopped; counters:");
                out.print(stats);
            }
            out.flush();
            return 0;
        } finally {
            if (controlServer != null) {
                controlServer.close();
            }
            for (Service s : started) {
                s.close();
            }
            if (loop != null) {
                loop.close();
            }
            link.close();
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
                boolean tentative = false;
                for (LocalAddress a : stack.ipv6().addresses()) {
                    if (a.state() == LocalAddress.State.TENTATIVE) {
                        tentative = true;
                    } else if (a.state() != LocalAddress.State.DUPLICATE) {
                        l.add(Ipv6Address.toString(a.hi(), a.lo()) + "/" + a.prefixLength());
                    }
                }
                if (tentative) {
                    return null;
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

    private void validate() {
        if (ipv4.isEmpty() && ipv6.isEmpty()) {
            throw new UserError("no address: give --ipv4 ADDR/LEN (e.g. --ipv4 10.0.0.2/24) and/or --ipv6 ADDR/LEN|auto");
        }
        if (noIpv6 && !ipv6.isEmpty()) {
            throw new UserError("--no-ipv6 contradicts --ipv6");
        }
        for (String a : ipv6) {
            if (!a.equalsIgnoreCase("auto")) {
                parseV6(a);
            }
        }
        if (gateway != null && ipv4.stream().noneMatch(a -> a.contains(gateway))) {
            throw new UserError("gateway " + Ipv4Address.toString(gateway) + " is not on any --ipv4 subnet");
        }
        if (mtu != null && (mtu < 576 || mtu > 65_000)) {
            throw new UserError("--mtu " + mtu + " out of range 576..65000");
        }
        for (String s : services) {
            if (ServiceRegistry.get(s) == null) {
                throw new UserError("unknown service '" + s + "'"
                        + (ServiceRegistry.names().isEmpty() ? " (none are available)" : "; available: " + String.join(", ", new java.util.TreeSet<>(ServiceRegistry.names()))));
            }
        }
        if (httpRoot != null && !Files.isDirectory(httpRoot)) {
            throw new UserError("--http-root " + httpRoot + " is not a directory");
        }
    }
}
