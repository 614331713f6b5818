package io.tapstack.tools;

import io.tapstack.capture.BpfProgram;
import io.tapstack.capture.CaptureSession;
import io.tapstack.capture.CaptureStats;
import io.tapstack.capture.FilterCompiler;
import io.tapstack.capture.FilterSyntaxException;
import io.tapstack.capture.PacketSink;
import io.tapstack.capture.PcapWriter;
import io.tapstack.capture.PcapngWriter;
import io.tapstack.capture.TimestampResolution;
import io.tapstack.service.Service;
import io.tapstack.service.ServiceOptions;
import io.tapstack.service.ServiceRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** {@code tapstack run}: a host on a TAP until SIGINT/SIGTERM. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a host on a TAP device until SIGINT or SIGTERM.")
public final class RunCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    HostOptions host;

    @Option(names = "--services", paramLabel = "LIST", split = ",",
            description = "Built-in services to start, comma-separated: echo (TCP+UDP 7), discard (TCP 9), http (TCP 80), udp-echo.")
    List<String> services = new ArrayList<>();

    @Option(names = "--http-root", paramLabel = "DIR", description = "Directory the http service serves (default: a generated index page).")
    Path httpRoot;

    @Option(names = "--warm-up", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "JIT warm-up (on by default; --no-warm-up to skip it): once the host is ready, a background "
                    + "thread runs pings and TCP transfers between two private in-memory stacks for about 1.5 s, so "
                    + "the packet paths are compiled before real traffic needs them (nothing is sent on the TAP); it "
                    + "stops early once the host has carried 500 frames (busy traffic trains the JIT itself). "
                    + "A fresh host then answers its first pings ~3x faster (docs/performance.md).")
    boolean warmUp = true;

    @Option(names = "--control", paramLabel = "PATH",
            description = "Control socket for 'tapstack stat/capture' (default /run/tapstack/TAP.sock).")
    Path control;

    @Option(names = "--capture", paramLabel = "FILTER",
            description = "Capture frames matching this pcap-filter expression ('' for all) into --capture-file.")
    String captureFilter;

    @Option(names = "--capture-file", paramLabel = "FILE",
            description = "Where --capture writes: pcapng if FILE ends in .pcapng, else pcap (see --time-stamp-precision).")
    Path captureFile;

    @Option(names = "--time-stamp-precision", paramLabel = "micro|nano", defaultValue = "nano",
            description = "Timestamp resolution of --capture-file, as tcpdump's option (default ${DEFAULT-VALUE}).")
    String tstampPrecision;

    @Option(names = "--snaplen", paramLabel = "N", defaultValue = "262144", description = "Bytes kept per captured frame (default ${DEFAULT-VALUE}).")
    int snaplen;

    @Option(names = "--quiet", description = "Do not print counters at shutdown.")
    boolean quiet;

    @Option(names = "--forward",
            description = "Router mode: forward IPv4 between the interfaces (RFC 1812). Give each interface with its own --tap; "
                    + "the options after a --tap (--ipv4, --ipv6, --mac, --mtu, --offload, ...) belong to it.")
    boolean forward;

    @Option(names = "--route", arity = "3", paramLabel = "PREFIX via GW",
            description = "Static route, as ip route: 10.9.0.0/16 via 10.0.0.1, default via 10.0.0.1, fd09::/64 via fd01::3 "
                    + "(repeatable); it leaves by the interface whose subnet or prefix holds the gateway.")
    List<String> routeWords = new ArrayList<>();

    /** The interfaces after the first: the options of every --tap but the first (see {@link #split}). */
    List<List<String>> moreInterfaces = new ArrayList<>();

    /** A {@code run} command line cut into its own options and each further interface's (from its --tap on). */
    record Split(String[] head, List<List<String>> interfaces) {
    }

    /**
     * Cuts {@code run ... --tap A ... --tap B ...}: each --tap after the first starts an interface,
     * and the interface options that follow it (all of {@link HostOptions} but the loop-wide ones)
     * go to it; everything else (the command's options, the first interface's) stays in order.
     */
    static Split split(String[] args) {
        picocli.CommandLine.Model.CommandSpec spec = picocli.CommandLine.Model.CommandSpec.forAnnotatedObject(new Interface());
        List<String> head = new ArrayList<>();
        List<List<String>> more = new ArrayList<>();
        List<String> cur = null;
        int taps = 0;
        for (int i = 0; i < args.length; ) {
            String t = args[i];
            int eq = t.startsWith("--") ? t.indexOf('=') : -1;
            String name = eq > 0 ? t.substring(0, eq) : t;
            if (name.equals("--tap") && ++taps >= 2) {
                cur = new ArrayList<>();
                more.add(cur);
            }
            picocli.CommandLine.Model.OptionSpec o = spec.findOption(name);
            if (cur != null && o != null && !HostOptions.LOOP_WIDE.contains(name)) {
                int take = eq > 0 ? 1 : 1 + Math.max(0, o.arity().min());
                for (int k = 0; k < take && i < args.length; k++) {
                    cur.add(args[i++]);
                }
                continue;
            }
            head.add(t);
            i++;
        }
        return new Split(head.toArray(new String[0]), more);
    }

    /** One further interface's options, parsed on their own. */
    @Command(name = "interface")
    static final class Interface {
        @Mixin
        HostOptions host;
    }

    /** The static IPv4 routes of --route as {prefix, length, gateway}. */
    List<int[]> routes() {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i + 2 < routeWords.size(); i += 3) {
            String dst = routeWords.get(i);
            String gwText = routeWords.get(i + 2);
            if (!routeWords.get(i + 1).equals("via")) {
                throw new UserError("--route " + dst + " " + routeWords.get(i + 1) + ": expected PREFIX via GATEWAY");
            }
            if (gwText.contains(":")) {
                continue; // IPv6: routes6()
            }
            try {
                int gw = io.tapstack.wire.Ipv4Address.parse(gwText);
                if (dst.equals("default")) {
                    out.add(new int[] {0, 0, gw});
                } else {
                    io.tapstack.wire.InterfaceAddress p = io.tapstack.wire.InterfaceAddress.parse(dst);
                    out.add(new int[] {p.network(), p.prefixLength(), gw});
                }
            } catch (IllegalArgumentException e) {
                throw new UserError("--route " + dst + " via " + gwText + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** The static IPv6 routes of --route (gateway written as IPv6) as {prefix hi, lo, length, gateway hi, lo}. */
    List<long[]> routes6() {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i + 2 < routeWords.size(); i += 3) {
            String dst = routeWords.get(i);
            String gwText = routeWords.get(i + 2);
            if (!gwText.contains(":")) {
                continue;
            }
            try {
                io.tapstack.wire.IpAddr gw = io.tapstack.wire.IpAddr.parse(gwText);
                if (dst.equals("default")) {
                    out.add(new long[] {0, 0, 0, gw.hi(), gw.lo()});
                } else {
                    io.tapstack.wire.Ipv6InterfaceAddress p = io.tapstack.wire.Ipv6InterfaceAddress.parse(dst);
                    out.add(new long[] {p.hi(), p.lo(), p.prefixLength(), gw.hi(), gw.lo()});
                }
            } catch (IllegalArgumentException e) {
                throw new UserError("--route " + dst + " via " + gwText + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** Parses the further interfaces' options; every one inherits the first's loop-wide options. */
    private List<HostOptions> interfaces() {
        List<HostOptions> all = new ArrayList<>();
        all.add(host);
        for (List<String> words : moreInterfaces) {
            Interface i = new Interface();
            try {
                new picocli.CommandLine(i).parseArgs(words.toArray(new String[0]));
            } catch (picocli.CommandLine.ParameterException e) {
                throw new UserError("interface " + words.get(1) + ": " + e.getMessage().split("\n")[0]);
            }
            i.host.idlePolicy = host.idlePolicy;
            i.host.busyPollMicros = host.busyPollMicros;
            all.add(i.host);
        }
        for (int a = 0; a < all.size(); a++) {
            for (int b = a + 1; b < all.size(); b++) {
                if (all.get(a).tap.equals(all.get(b).tap)) {
                    throw new UserError("--tap " + all.get(a).tap + " given twice");
                }
            }
        }
        return all;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        for (String s : services) {
            if (ServiceRegistry.get(s) == null) {
                throw new UserError("unknown service '" + s + "'; available: " + String.join(", ", new TreeSet<>(ServiceRegistry.names())));
            }
        }
        if (httpRoot != null && !Files.isDirectory(httpRoot)) {
            throw new UserError("--http-root " + httpRoot + " is not a directory");
        }
        if ((captureFilter != null) != (captureFile != null)) {
            throw new UserError("--capture and --capture-file go together");
        }
        if (snaplen < 1 || snaplen > 262144) {
            throw new UserError("--snaplen " + snaplen + " out of range 1..262144");
        }
        TimestampResolution resolution = CaptureCommand.resolution(tstampPrecision);
        BpfProgram captureProgram = null;
        if (captureFilter != null && !captureFilter.isBlank()) {
            try {
                captureProgram = FilterCompiler.compile(captureFilter, snaplen, 0, true);
            } catch (FilterSyntaxException e) {
                throw new UserError("--capture: " + e.getMessage());
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        List<Service> started = new ArrayList<>();
        ControlServer controlServer = null;
        CaptureSession capture = null;
        List<int[]> routes = routes();
        List<long[]> routes6 = routes6();
        List<HostOptions> ifaces = interfaces();
        boolean routerMode = forward || ifaces.size() > 1 || !routes.isEmpty() || !routes6.isEmpty();
        for (HostOptions h : ifaces) {
            if (!h.advertise.isEmpty() && !forward) {
                throw new UserError("--advertise needs --forward (a host does not send Router Advertisements, RFC 4861 §6.2.2)");
            }
        }
        try (HostRuntime rt = routerMode ? HostBringUp.openRouter(ifaces, forward, routes, routes6, "tapstack-" + host.tap)
                : host.open("tapstack-" + host.tap)) {
            try {
                ServiceOptions so = new ServiceOptions();
                so.httpRoot = httpRoot;
                for (String s : services) {
                    for (HostRuntime.Queue q : rt.queues) {
                        if (q.loop() == rt.loop && q.stack() != rt.stack) {
                            continue; // a router's services run once, on its loop (the first interface's transports)
                        }
                        started.add(ServiceRegistry.get(s).start(q.loop(), so));
                    }
                }
                if (captureFile != null) {
                    PacketSink sink = captureFile.toString().endsWith(".pcapng")
                            ? PcapngWriter.create(captureFile, host.tap, snaplen, resolution)
                            : PcapWriter.create(captureFile, snaplen, resolution);
                    capture = CaptureSession.start(captureProgram, snaplen, sink, 65536);
                    rt.addCapture(capture);
                }
                controlServer = new ControlServer(control != null ? control : ControlServer.defaultPath(host.tap), rt);
                String what = host.describe(rt);
                if (rt.router != null) {
                    List<String> each = new ArrayList<>();
                    for (int i = 0; i < ifaces.size(); i++) {
                        HostRuntime.Queue q = rt.queues.get(i);
                        each.add(ifaces.get(i).describe(q.stack(), rt.interfaceIpv6.get(i), 1, q.faulty() != null, null));
                    }
                    what = String.join(" ; ", each) + " forward=" + (forward ? "on" : "off")
                            + (routes.size() + routes6.size() == 0 ? "" : " routes=" + (routes.size() + routes6.size()));
                }
                out.println("tapstack: ready " + what + " control=" + controlServer.path()
                        + (captureFile != null ? " capture=" + captureFile : "")
                        + (started.isEmpty() ? "" : " services=" + started.stream().map(Service::describe).distinct().collect(Collectors.joining("; "))));
                out.flush();
                if (warmUp) {
                    // it gives way once real traffic flows (frames the host received and sent)
                    rt.warmUp = io.tapstack.JitWarmUp.startFor(rt.queues.stream().map(HostRuntime.Queue::stack).toList());
                }
                while (!stop.await(1, TimeUnit.SECONDS)) {
                    for (HostRuntime.Queue q : rt.queues) {
                        if (q.loop().failure() != null) {
                            throw new UserError("event loop failed: " + q.loop().failure());
                        }
                    }
                }
                controlServer.close();
                controlServer = null;
                for (Service s : started) {
                    s.close();
                }
                started.clear();
                String stats = rt.stats(false);
                long traced = rt.flushTrace();
                if (host.traceTcp != null) {
                    stats += "trace:\n    " + traced + " records\n    " + rt.trace.lostRecords() + " lost_records\n";
                    if (rt.trace.failure() != null) {
                        System.err.println("tapstack: writing the trace failed: " + rt.trace.failure().getMessage());
                    }
                }
                String captured = "";
                if (capture != null) {
                    rt.removeCapture(capture);
                    capture.close();
                    CaptureStats cs = capture.stats();
                    captured = "capture:\n    " + cs.written() + " written\n    " + cs.dropped() + " dropped\n    "
                            + cs.filtered() + " filtered_out\n";
                    capture = null;
                }
                if (!quiet) {
                    out.println("tapstack: stopped; counters:");
                    out.print(stats);
                    out.print(captured);
                }
                out.flush();
                return 0;
            } finally {
                if (capture != null) {
                    rt.removeCapture(capture);
                    capture.close();
                }
                if (controlServer != null) {
                    controlServer.close();
                }
                for (Service s : started) {
                    s.close();
                }
            }
        }
    }
}
