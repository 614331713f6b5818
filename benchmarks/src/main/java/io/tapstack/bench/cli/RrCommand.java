package io.tapstack.bench.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code tapstack-bench rr}: a TCP request/response benchmark client (kernel sockets): one connection,
 * 1-byte ping-pong against an echo server for a fixed time, printing transactions per second
 * and latency percentiles. The same client measures tapstack's echo service and a kernel/Netty
 * echo server, so the figures compare.
 */
@Command(name = "rr", mixinStandardHelpOptions = true,
        description = "Benchmark: 1-byte TCP request/response round trips against an echo server.")
public final class RrCommand implements Callable<Integer> {
    @Option(names = "--host", required = true, description = "Echo server address.")
    String host;

    @Option(names = "--port", defaultValue = "7", description = "Echo server port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--seconds", defaultValue = "5", description = "How long to measure (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "1", description = "Seconds of warm-up not measured (default ${DEFAULT-VALUE}).")
    double warmup;

    @Override
    public Integer call() throws IOException {
        if (seconds <= 0 || seconds > 600 || warmup < 0 || warmup > 60) {
            throw new BenchError("--seconds must be in (0, 600] and --warmup in [0, 60]");
        }
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < warmEnd) {
                out.write(1);
                if (in.read() < 0) {
                    throw new BenchError("echo server closed the connection");
                }
            }
            long[] lat = new long[1 << 22];
            int n = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long t = start;
            while (t < end && n < lat.length) {
                out.write(1);
                if (in.read() < 0) {
                    throw new BenchError("echo server closed the connection");
                }
                long t2 = System.nanoTime();
                lat[n++] = t2 - t;
                t = t2;
            }
            double secs = (t - start) / 1e9;
            Arrays.sort(lat, 0, n);
            System.out.printf(Locale.ROOT, "rr: %d transactions in %.2f s: %.0f per second; latency us p50 %.1f p90 %.1f p99 %.1f max %.1f%n",
                    n, secs, n / secs, lat[n / 2] / 1e3, lat[(int) (n * 0.9)] / 1e3, lat[(int) (n * 0.99)] / 1e3, lat[n - 1] / 1e3);
        }
        return 0;
    }
}
