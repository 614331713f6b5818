package io.tapstack.tools;

import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tapstack trace FILE}: a --trace-tcp file as text, CSV or a plot; {@code tapstack trace --host
 * TAP -w FILE}: a live trace of a running host over its control socket, into the same format.
 */
@Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Print or plot a TCP trace written by 'tapstack run --trace-tcp PORT|all', or record one live from a "
                + "running host (--host ... -w FILE).",
                "Times are milliseconds from the connection's first record; sequence numbers are relative to its ISS; "
                        + "cwnd, ssthresh, pipe, windows and in-flight are bytes."})
public final class TraceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The trace file to print or plot.")
    Path file;

    @Option(names = "--conn", paramLabel = "ID", description = "Only the connection with this id (see the '# conn' lines; default: all).")
    Long conn;

    @Option(names = "--csv", description = "CSV (one header line, then one line per record) instead of aligned text.")
    boolean csv;

    @Option(names = "--plot", paramLabel = "OUT.png|OUT.svg",
            description = "Draw the connection (--conn, default the one with most records) as PNG, or SVG for a name "
                    + "ending in .svg: cwnd/ssthresh/in flight with loss and recovery events marked, SRTT/RTO, and "
                    + "the sequence space with retransmissions.")
    Path plot;

    @Option(names = "--host", paramLabel = "TAP|SOCKET",
            description = "Trace live: ask this running host (its TAP name, or the control socket path) to trace "
                    + "connections established from now on, and write their records to -w as they are made.")
    String host;

    @Option(names = "--port", paramLabel = "N|all", defaultValue = "all",
            description = "With --host: only connections with this local or remote port (default: all).")
    String port;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "0",
            description = "With --host: stop after S seconds (default: at Ctrl-C).")
    double seconds;

    @Option(names = "--count", paramLabel = "N", defaultValue = "0",
            description = "With --host: stop after N records (default: no limit).")
    long count;

    @Option(names = "-w", paramLabel = "FILE|-", description = "With --host: where the trace goes ('-': standard output).")
    String write;

    @Override
    public Integer call() throws IOException {
        if (host != null) {
            return live();
        }
        if (file == null) {
            throw new ParameterException(spec.commandLine(), "give a trace FILE, or --host TAP|SOCKET -w FILE to trace live");
        }
        List<TcpTraceFile.Connection> conns = connections(file, conn);
        PrintStream out = System.out;
        if (plot != null) {
            return plot(conns, file, plot, out);
        }
        if (csv) {
            out.println("conn,time_ms,event,seq,end,snd_una,snd_max,cwnd,ssthresh,pipe,srtt_ms,rttvar_ms,rto_ms,snd_wnd,in_flight");
        }
        for (TcpTraceFile.Connection c : conns) {
            print(out, c, csv);
        }
        out.flush();
        return 0;
    }

    /** The connections of a trace file (only {@code conn} if given), or a one-line user error. */
    static List<TcpTraceFile.Connection> connections(Path file, Long conn) {
        if (!Files.isRegularFile(file)) {
            throw new UserError("no such file: " + file);
        }
        List<TcpTraceFile.Connection> conns;
        try {
            conns = TcpTraceFile.read(file);
        } catch (IOException e) {
            throw new UserError(file + ": " + e.getMessage());
        }
        if (conn != null) {
            conns = conns.stream().filter(c -> c.id() == conn).toList();
            if (conns.isEmpty()) {
                throw new UserError("no connection " + conn + " in " + file);
            }
        }
        return conns;
    }

    /** Plots the connection with the most records (PNG or SVG by the extension of {@code to}). */
    static int plot(List<TcpTraceFile.Connection> conns, Path file, Path to, PrintStream out) throws IOException {
        TcpTraceFile.Connection c = conns.stream().max((a, b) -> Integer.compare(a.count(), b.count()))
                .orElseThrow(() -> new UserError(file + " holds no connection"));
        TracePlot.write(c, to);
        out.println("tapstack: plotted connection " + c.id() + " (" + c.endpoints() + ", " + c.count()
                + " records) to " + to);
        return 0;
    }

    /** The {@code trace} request for the control socket, from the options (a usage error if they are wrong). */
    String request() {
        if (write == null) {
            throw new ParameterException(spec.commandLine(), "--host needs -w FILE (or -w - for standard output)");
        }
        if (file != null || plot != null || csv || conn != null) {
            throw new ParameterException(spec.commandLine(), "--host records a trace: print or plot the file afterwards");
        }
        if (!port.equals("all")) {
            int p;
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                p = 0;
            }
            if (p < 1 || p > 65535) {
                throw new ParameterException(spec.commandLine(), "--port must be 1..65535 or all, not '" + port + "'");
            }
        }
        if (count < 0 || seconds < 0 || Double.isNaN(seconds)) {
            throw new ParameterException(spec.commandLine(), "--count and --seconds must not be negative");
        }
        return "trace " + port + " " + count;
    }

    private int live() throws IOException {
        String req = request();
        Path socket = ControlClient.resolve(host);
        boolean stdout = write.equals("-");
        try (OutputStream sink = stdout ? new FileOutputStream(FileDescriptor.out)
                : new BufferedOutputStream(Files.newOutputStream(Path.of(write)), 1 << 16)) {
            String end = ControlClient.stream(socket, req, seconds, in -> LiveTrace.receive(in, sink));
            PrintStream err = System.err;
            if (end == null) {
                err.println("tapstack: the host stopped before the trace ended; " + (stdout ? "the output" : write)
                        + " holds what came");
            } else {
                err.println("tapstack: trace from " + host + ": " + end + (stdout ? "" : " (in " + write + ")")
                        + (end.endsWith(" dropped 0") ? "" : " - records were dropped because the reader was slow"));
            }
        }
        return 0;
    }

    static void print(PrintStream out, TcpTraceFile.Connection c, boolean csv) {
        long t0 = c.count() > 0 ? c.get(0, TcpTrace.TIME) : 0;
        if (!csv) {
            out.printf("# conn %d %s: %d records%n", c.id(), c.endpoints(), c.count());
            out.printf("#%11s %-14s %10s %10s %10s %10s %8s %8s %8s %9s %9s %8s %8s %8s%n", "time_ms", "event", "seq",
                    "end", "snd_una", "snd_max", "cwnd", "ssthresh", "pipe", "srtt_ms", "rttvar_ms", "rto_ms",
                    "snd_wnd", "inflight");
        }
        String fmt = csv ? "%d,%.3f,%s,%d,%d,%d,%d,%d,%s,%d,%.3f,%.3f,%.1f,%d,%d%n"
                : "%12.3f %-14s %10d %10d %10d %10d %8d %8s %8d %9.3f %9.3f %8.1f %8d %8d%n";
        for (int i = 0; i < c.count(); i++) {
            TcpTrace.Event e = c.event(i);
            String name = e == null ? "?" + c.get(i, TcpTrace.EVENT) : e.name().toLowerCase(Locale.ROOT);
            long ss = c.get(i, TcpTrace.SSTHRESH);
            String ssText = ss >= Integer.MAX_VALUE / 2 ? "inf" : Long.toString(ss);
            double t = (c.get(i, TcpTrace.TIME) - t0) / 1e6;
            if (csv) {
                out.printf(Locale.ROOT, fmt, c.id(), t, name, c.get(i, TcpTrace.SEQ), c.get(i, TcpTrace.END),
                        c.get(i, TcpTrace.UNA), c.get(i, TcpTrace.MAX), c.get(i, TcpTrace.CWND), ssText,
                        c.get(i, TcpTrace.PIPE), c.get(i, TcpTrace.SRTT) / 1e6, c.get(i, TcpTrace.RTTVAR) / 1e6,
                        c.get(i, TcpTrace.RTO) / 1e6, c.get(i, TcpTrace.SND_WND), c.get(i, TcpTrace.IN_FLIGHT));
            } else {
                out.printf(Locale.ROOT, fmt, t, name, c.get(i, TcpTrace.SEQ), c.get(i, TcpTrace.END),
                        c.get(i, TcpTrace.UNA), c.get(i, TcpTrace.MAX), c.get(i, TcpTrace.CWND), ssText,
                        c.get(i, TcpTrace.PIPE), c.get(i, TcpTrace.SRTT) / 1e6, c.get(i, TcpTrace.RTTVAR) / 1e6,
                        c.get(i, TcpTrace.RTO) / 1e6, c.get(i, TcpTrace.SND_WND), c.get(i, TcpTrace.IN_FLIGHT));
            }
        }
    }
}
