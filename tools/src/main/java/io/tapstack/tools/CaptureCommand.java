package io.tapstack.tools;

import io.tapstack.capture.FilterCompiler;
import io.tapstack.capture.FilterSyntaxException;
import io.tapstack.capture.TimestampResolution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tapstack capture}: attaches to a running host's capture tap through its control
 * socket and writes pcap or pcapng to a file or stdout, e.g.
 * {@code tapstack capture --host tap0 -f 'icmp or arp' -w - | tcpdump -n -r -}.
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = "Capture a running host's frames (pcap/pcapng) with a tcpdump-style filter.")
public final class CaptureCommand implements Callable<Integer> {
    @Option(names = "--host", required = true, paramLabel = "TAP|SOCKET",
            description = "The host: its TAP name or its control socket path.")
    String host;

    @Option(names = "-f", paramLabel = "FILTER", description = "pcap-filter expression (as tcpdump's).")
    String filterOption;

    @Parameters(arity = "0..*", paramLabel = "FILTER", description = "Filter expression words (alternative to -f).")
    List<String> filterWords = new ArrayList<>();

    @Option(names = "-w", required = true, paramLabel = "FILE|-", description = "Write to FILE, or '-' for stdout.")
    String out;

    @Option(names = "-c", paramLabel = "COUNT", defaultValue = "0", description = "Stop after COUNT frames (0 = until interrupted).")
    long count;

    @Option(names = "-s", paramLabel = "SNAPLEN", defaultValue = "262144", description = "Bytes kept per frame (default ${DEFAULT-VALUE}).")
    int snaplen;

    @Option(names = "--format", paramLabel = "pcap|pcapng",
            description = "File format (default: pcapng for *.pcapng files, else pcap).")
    String format;

    @Option(names = "--time-stamp-precision", paramLabel = "micro|nano", defaultValue = "nano",
            description = "Timestamp resolution of the file, as tcpdump's option (default ${DEFAULT-VALUE}).")
    String tstampPrecision;

    /** tcpdump's --time-stamp-precision values. */
    static TimestampResolution resolution(String precision) {
        switch (precision) {
            case "micro": return TimestampResolution.MICROSECONDS;
            case "nano": return TimestampResolution.NANOSECONDS;
            default: throw new UserError("--time-stamp-precision must be micro or nano");
        }
    }

    @Override
    public Integer call() throws IOException {
        String filter = filterOption != null ? filterOption : String.join(" ", filterWords);
        if (filterOption != null && !filterWords.isEmpty()) {
            throw new UserError("give the filter either with -f or as words, not both");
        }
        if (snaplen < 1 || snaplen > 262144) {
            throw new UserError("-s " + snaplen + " out of range 1..262144");
        }
        if (count < 0) {
            throw new UserError("-c must not be negative");
        }
        String fmt = format != null ? format : out.endsWith(".pcapng") ? "pcapng" : "pcap";
        if (!fmt.equals("pcap") && !fmt.equals("pcapng")) {
            throw new UserError("--format must be pcap or pcapng");
        }
        if (!filter.isBlank()) {
            try {
                FilterCompiler.compile(filter, snaplen, 0, true); // fail here with the error, not on the host
            } catch (FilterSyntaxException e) {
                throw new UserError("filter: " + e.getMessage());
            }
        }
        Path socket = ControlClient.resolve(host);
        TimestampResolution res = resolution(tstampPrecision);
        // the format word carries the precision: pcap, pcap:micro, pcapng:micro (nano is the default)
        String req = "capture " + snaplen + " " + fmt + (res == TimestampResolution.MICROSECONDS ? ":micro" : "") + " "
                + count + " " + filter.replace('\n', ' ');
        if (out.equals("-")) {
            ControlClient.request(socket, req, System.out, true);
        } else {
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(Path.of(out)))) {
                ControlClient.request(socket, req, o, true);
            }
        }
        return 0;
    }
}
