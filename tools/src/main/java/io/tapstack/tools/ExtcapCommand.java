package io.tapstack.tools;

import io.tapstack.capture.FilterCompiler;
import io.tapstack.capture.FilterSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tapstack extcap}: Wireshark's extcap interface (extcap(4)), so that Wireshark and tshark
 * list every running tapstack host as a capture interface and capture from it live. Wireshark
 * runs it (through the launcher that scripts/install-extcap.sh puts in its extcap folder) as
 * <ul>
 *   <li>{@code --extcap-interfaces}: one {@code interface} line per live control socket in
 *       /run/tapstack and the {@code --control-dir}s, named {@code tapstack-<name>} after the
 *       socket ({@code tap0.sock} → {@code tapstack-tap0});</li>
 *   <li>{@code --extcap-dlts --extcap-interface IF}: Ethernet (DLT_EN10MB, 1);</li>
 *   <li>{@code --extcap-config --extcap-interface IF}: the snapshot length;</li>
 *   <li>{@code --extcap-capture-filter F --extcap-interface IF} alone: checks the filter with
 *       tapstack's compiler (the host runs it), printing libpcap-style errors, exit 1 if bad;</li>
 *   <li>{@code --capture --extcap-interface IF --fifo PATH [--extcap-capture-filter F]}: the
 *       host's capture tap through its control socket (the request {@code tapstack capture}
 *       sends), pcapng with direction flags written to the FIFO until Wireshark stops it
 *       (SIGTERM/SIGINT: the host closes the capture at a frame boundary) or closes the FIFO.</li>
 * </ul>
 * Unknown arguments from newer Wireshark versions are ignored.
 */
@Command(name = "extcap", mixinStandardHelpOptions = true,
        description = "Wireshark extcap interface to running hosts (installed by scripts/install-extcap.sh).")
public final class ExtcapCommand implements Callable<Integer> {
    /** Interface names: this prefix and the socket's file name without ".sock". */
    static final String PREFIX = "tapstack-";

    @Option(names = "--control-dir", paramLabel = "DIR", description = "Also list hosts whose control sockets are in DIR (repeatable).")
    List<Path> controlDirs = new ArrayList<>();

    @Option(names = "--extcap-interfaces", description = "List the running hosts as interfaces.")
    boolean interfaces;

    @Option(names = "--extcap-version", paramLabel = "VERSION", description = "Wireshark's version (ignored).")
    String wiresharkVersion;

    @Option(names = "--extcap-dlts", description = "List the link types of --extcap-interface.")
    boolean dlts;

    @Option(names = "--extcap-config", description = "List the options of --extcap-interface.")
    boolean config;

    @Option(names = "--extcap-interface", paramLabel = "IF", description = "The interface (tapstack-NAME).")
    String iface;

    @Option(names = "--extcap-capture-filter", paramLabel = "FILTER", description = "pcap-filter expression.")
    String filter;

    @Option(names = "--capture", description = "Capture from --extcap-interface into --fifo.")
    boolean capture;

    @Option(names = "--fifo", paramLabel = "PATH", description = "Where Wireshark reads the capture.")
    Path fifo;

    @Option(names = "--snaplen", paramLabel = "N", defaultValue = "262144", description = "Bytes kept per frame (1..262144).")
    int snaplen;

    @Unmatched
    List<String> ignored = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (interfaces) {
            out.println("extcap {version=" + version() + "}{display=tapstack host capture}");
            for (String name : hosts().keySet()) {
                out.println("interface {value=" + PREFIX + name + "}{display=tapstack host " + name + "}");
            }
            out.flush();
            return 0;
        }
        if (dlts) {
            socket(); // an unknown interface is an error here too
            out.println("dlt {number=1}{name=EN10MB}{display=Ethernet}");
            out.flush();
            return 0;
        }
        if (config) {
            out.println("arg {number=0}{call=--snaplen}{display=Snapshot length}{tooltip=Bytes kept per frame}"
                    + "{type=integer}{range=1,262144}{default=262144}");
            out.flush();
            return 0;
        }
        String f = filter == null ? "" : filter.strip();
        if (!f.isEmpty()) {
            try {
                FilterCompiler.compile(f, FilterCompiler.DEFAULT_SNAPLEN, 0, true);
            } catch (FilterSyntaxException e) {
                if (!capture) {
                    // Wireshark's filter check: a message on stdout marks the filter invalid
                    out.println(e.getMessage());
                    out.flush();
                    return Main.EXIT_FAILURE;
                }
                throw new UserError("filter: " + e.getMessage());
            }
        }
        if (!capture) {
            return 0; // a valid filter, or nothing asked
        }
        if (fifo == null) {
            throw new UserError("--capture needs --fifo");
        }
        if (snaplen < 1 || snaplen > 262144) {
            throw new UserError("--snaplen " + snaplen + " out of range 1..262144");
        }
        Path socket = socket();
        String req = "capture " + snaplen + " pcapng 0 " + f.replace('\n', ' ');
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(fifo))) {
            ControlClient.request(socket, req, o, true);
        }
        return 0;
    }

    private static String version() {
        String v = ExtcapCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The control socket of --extcap-interface. */
    private Path socket() {
        if (iface == null || !iface.startsWith(PREFIX)) {
            throw new UserError("--extcap-interface must name a tapstack host (" + PREFIX + "NAME), not " + iface);
        }
        Path p = hosts().get(iface.substring(PREFIX.length()));
        if (p == null) {
            throw new UserError("no running host " + iface + " (its control socket is not in "
                    + ControlServer.DEFAULT_DIR + " or a --control-dir)");
        }
        return p;
    }

    /** Live hosts by name: NAME.sock sockets that accept a connection, first directory first. */
    Map<String, Path> hosts() {
        Map<String, Path> out = new LinkedHashMap<>();
        List<Path> dirs = new ArrayList<>(controlDirs);
        dirs.add(ControlServer.DEFAULT_DIR);
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                continue;
            }
            List<Path> socks = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*.sock")) {
                ds.forEach(socks::add);
            } catch (IOException e) {
                continue; // unreadable: nothing of ours there
            }
            socks.sort(null);
            for (Path s : socks) {
                String name = s.getFileName().toString();
                name = name.substring(0, name.length() - ".sock".length());
                if (!out.containsKey(name) && ControlServer.isLive(s)) {
                    out.put(name, s);
                }
            }
        }
        return out;
    }
}
