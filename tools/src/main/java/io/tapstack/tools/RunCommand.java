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
        try (HostOptions.Runtime rt = host.open("tapstack-" + host.tap)) {
            try {
                ServiceOptions so = new ServiceOptions();
                so.httpRoot = httpRoot;
                for (String s : services) {
                    for (HostOptions.Queue q : rt.queues) {
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
                out.println("tapstack: ready " + host.describe(rt) + " control=" + controlServer.path()
                        + (captureFile != null ? " capture=" + captureFile : "")
                        + (started.isEmpty() ? "" : " services=" + started.stream().map(Service::describe).distinct().collect(Collectors.joining("; "))));
                out.flush();
                while (!stop.await(1, TimeUnit.SECONDS)) {
                    for (HostOptions.Queue q : rt.queues) {
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
