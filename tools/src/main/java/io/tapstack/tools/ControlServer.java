package io.tapstack.tools;

import io.tapstack.NetStack;
import io.tapstack.arp.Arp;
import io.tapstack.EventLoop;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The control channel of a running host: a Unix-domain socket (never reachable over the TAP),
 * mode 0600, whose peers must be the same user or root (checked with SO_PEERCRED). One
 * request line per connection; the answer follows and the server closes.
 *
 * <p>Requests: {@code stat [all]}, {@code arp}, {@code ping}, {@code capture ...} and {@code trace ...}
 * (streamed until the client hangs up). Extensions register more with
 * {@link #handle(String, Handler)}.
 */
public final class ControlServer implements AutoCloseable {
    /** Default directory for control sockets. */
    public static final Path DEFAULT_DIR = Path.of("/run/tapstack");

    /** A request handler; writes the answer to {@code out} (runs on a connection thread). */
    @FunctionalInterface
    public interface Handler {
        void handle(String args, OutputStream out, SocketChannel client) throws Exception;
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final EventLoop loop;
    private final HostRuntime runtime;
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    private final Thread acceptor;
    private final java.util.Set<io.tapstack.capture.CaptureSession> captures = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** One live trace at a time (a stack has one port filter). */
    private final java.util.concurrent.atomic.AtomicBoolean tracing = new java.util.concurrent.atomic.AtomicBoolean();

    public static Path defaultPath(String tap) {
        return DEFAULT_DIR.resolve(tap + ".sock");
    }

    public ControlServer(Path path, HostRuntime runtime) throws IOException {
        this.path = path;
        this.runtime = runtime;
        this.loop = runtime.loop;
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path)) {
            if (isLive(path)) {
                throw new UserError("control socket " + path + " is in use by another running host (use --control PATH)");
            }
            Files.delete(path);
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        handlers.put("ping", (a, out, c) -> out.write("pong\n".getBytes(StandardCharsets.UTF_8)));
        handlers.put("stat", this::stat);
        handlers.put("arp", this::arp);
        handlers.put("addr", this::addr);
        handlers.put("capture", this::capture);
        handlers.put("neigh", this::neigh);
        handlers.put("trace", this::trace);
        handlers.put("routes", (a, out, c) -> out.write((String.join("\n", runtime.routes()) + "\n").getBytes(StandardCharsets.UTF_8)));
        acceptor = new Thread(this::acceptLoop, "tapstack-control");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public Path path() {
        return path;
    }

    public void handle(String command, Handler h) {
        handlers.put(command, h);
    }

    static boolean isLive(Path p) {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel c = server.accept();
                Thread t = new Thread(() -> serve(c), "tapstack-control-client");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("tapstack: control socket: " + e.getMessage());
                }
                return;
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c) {
            try {
                serveRequest(c);
            } catch (Exception e) {
                // the client went away, or a handler failed; the host goes on. (This catch sits
                // inside the try-with-resources: its own catch runs after the channel is closed,
                // so a refusal such as a malformed capture or trace request never reached the client.)
                try {
                    c.write(ByteBuffer.wrap(("error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8)));
                } catch (IOException ignored) {
                    // gone
                }
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    private void serveRequest(SocketChannel c) throws Exception {
        OutputStream out = Channels.newOutputStream(c);
        UnixDomainPrincipal peer = c.getOption(ExtendedSocketOptions.SO_PEERCRED);
        String me = System.getProperty("user.name");
        if (!peer.user().getName().equals(me) && !peer.user().getName().equals("root")) {
            out.write(("error: permission denied for user " + peer.user().getName() + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        String line = readLine(c);
        if (line == null) {
            return;
        }
        Request req = Request.parse(line);
        String cmd = req.command();
        String args = req.args();
        Handler h = handlers.get(cmd);
        if (h == null) {
            out.write(("error: unknown request '" + cmd + "'\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        h.handle(args, out, c);
        out.flush();
    }

    /** A request line split into its command word and the rest. */
    record Request(String command, String args) {
        static Request parse(String line) {
            String cmd = line.strip();
            String args = "";
            int sp = cmd.indexOf(' ');
            if (sp > 0) {
                args = cmd.substring(sp + 1).strip();
                cmd = cmd.substring(0, sp);
            }
            return new Request(cmd, args);
        }
    }

    /** The largest capture snaplen (tcpdump's MAXIMUM_SNAPLEN). */
    static final int MAX_SNAPLEN = 262144;

    /** The longest request line read; a longer one is cut there. */
    static final int MAX_LINE = 4096;

    /** Reads one request line (without its newline), at most {@link #MAX_LINE} bytes; null if the peer sent nothing. */
    static String readLine(java.nio.channels.ReadableByteChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MAX_LINE);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                break;
            }
            for (int i = 0; i < b.position(); i++) {
                if (b.get(i) == '\n') {
                    return new String(b.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
        }
        return b.position() == 0 ? null : new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private void stat(String args, OutputStream out, SocketChannel client) throws Exception {
        boolean all = args.contains("all");
        String text = runtime.stats(all);
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private void arp(String args, OutputStream out, SocketChannel client) throws Exception {
        NetStack s = loop.stack();
        String text = loop.call(() -> {
            StringBuilder sb = new StringBuilder(String.format("%-16s %-18s %s%n", "address", "hwaddress", "state"));
            long now = s.now();
            for (Arp.Entry e : s.arp().entries()) {
                sb.append(String.format("%-16s %-18s %s%n", Ipv4Address.toString(e.ip()),
                        e.state() == Arp.State.INCOMPLETE ? "(incomplete)" : MacAddress.toString(e.mac()), e.state()));
            }
            return sb.toString();
        }).get(5, TimeUnit.SECONDS);
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code capture SNAPLEN pcap|pcapng[:micro|:nano] COUNT FILTER...}: streams the host's frames to the
     * client until it hangs up, COUNT frames were written (0 = no limit), or the host stops.
     */
    private void capture(String args, OutputStream out, SocketChannel client) throws Exception {
        CaptureRequest r = CaptureRequest.parse(args);
        int snaplen = r.snaplen();
        boolean ng = r.pcapng();
        io.tapstack.capture.TimestampResolution res = r.resolution();
        long count = r.count();
        String filter = r.filter();
        io.tapstack.capture.BpfProgram prog;
        try {
            prog = filter.isBlank() ? null : io.tapstack.capture.FilterCompiler.compile(filter, snaplen, 0, true);
        } catch (io.tapstack.capture.FilterSyntaxException e) {
            out.write(("error: filter: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        // The client must not see the file header before the capture is live (a reader that
        // starts traffic on "reading from file" would otherwise lose its first frames): the
        // header waits behind a gate that opens once the session is attached to the taps.
        Gate gate = new Gate(client);
        io.tapstack.capture.PacketSink sink = ng
                ? new io.tapstack.capture.PcapngWriter(gate, loop.stack().link().name(), snaplen, res, true)
                : new io.tapstack.capture.PcapWriter(gate, snaplen, res, true);
        // the limit is enforced by the writer, so exactly COUNT frames are written (the loop
        // below only notices every 20 ms, when more may have been written)
        io.tapstack.capture.CaptureSession session = io.tapstack.capture.CaptureSession.start(prog, snaplen, sink, 4096)
                .limit(count);
        // The client sends nothing more; its read side tells us when it hangs up.
        java.util.concurrent.atomic.AtomicBoolean gone = watchHangUp(client);
        runtime.addCapture(session);
        gate.open();
        captures.add(session);
        try {
            while (!gone.get() && !closed && session.failure() == null
                    && (count == 0 || session.stats().written() < count)) {
                Thread.sleep(20);
            }
        } finally {
            runtime.removeCapture(session);
            captures.remove(session);
            try {
                session.close();
            } catch (IOException ignored) {
                // the client went away
            }
        }
    }

    /** How often a live trace gives the connections' pending records to the reader. */
    static final long TRACE_FLUSH_MS = 200;

    /**
     * {@code trace PORT|all COUNT}: traces the connections established from now on with that local
     * or remote port (or all) and streams their records ({@link LiveTrace}) until the client hangs up
     * (or shuts down its sending side), COUNT records were written (0 = no limit), or the host stops.
     */
    private void trace(String args, OutputStream out, SocketChannel client) throws Exception {
        TraceRequest r = TraceRequest.parse(args);
        if (runtime.trace != null) {
            throw new IllegalArgumentException("this host traces into its --trace-file already (one trace at a time)");
        }
        if (!tracing.compareAndSet(false, true)) {
            throw new IllegalArgumentException("another client traces this host now (one trace at a time)");
        }
        java.util.concurrent.atomic.AtomicBoolean gone = watchHangUp(client);
        LiveTrace live = new LiveTrace(r.count());
        java.util.List<HostRuntime.Queue> queues = runtime.queues;
        java.util.List<io.tapstack.tcp.TcpTraceSink> sinks = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < queues.size(); i++) {
                io.tapstack.tcp.TcpTraceSink sink = live.sink(i);
                sinks.add(sink);
                io.tapstack.tcp.Tcp tcp = queues.get(i).stack().tcp();
                queues.get(i).loop().call(() -> {
                    tcp.trace(r.port(), sink);
                    return null;
                }).get(5, TimeUnit.SECONDS);
            }
            // the header once tracing is on: a client that starts traffic when it sees it misses nothing
            live.start(out);
            out.flush();
            while (!gone.get() && !closed && !live.limitReached()) {
                Thread.sleep(TRACE_FLUSH_MS);
                onEveryQueue(queues, sinks, false);
                live.drainTo(out);
            }
        } finally {
            onEveryQueue(queues, sinks, true);
            tracing.set(false);
        }
        live.drainTo(out);
        live.end(out);
    }

    /** Flushes (or with {@code stop}, ends) the traces into {@code sinks}, on each queue's loop. */
    private static void onEveryQueue(java.util.List<HostRuntime.Queue> queues, java.util.List<io.tapstack.tcp.TcpTraceSink> sinks,
                                     boolean stop) {
        for (int i = 0; i < sinks.size(); i++) {
            io.tapstack.tcp.Tcp tcp = queues.get(i).stack().tcp();
            io.tapstack.tcp.TcpTraceSink sink = sinks.get(i);
            try {
                queues.get(i).loop().call(() -> {
                    if (stop) {
                        tcp.untrace(sink);
                    } else {
                        tcp.flushTraces();
                    }
                    return null;
                }).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // a loop that stopped: nothing more comes from it
            }
        }
    }

    /** A flag set when the client (which sends nothing after its request) hangs up or shuts down its side. */
    private static java.util.concurrent.atomic.AtomicBoolean watchHangUp(SocketChannel client) {
        java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = new Thread(() -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(64);
                while (client.read(b) >= 0) {
                    b.clear();
                }
            } catch (IOException ignored) {
                // closed
            }
            gone.set(true);
        }, "tapstack-control-watch");
        watcher.setDaemon(true);
        watcher.start();
        return gone;
    }

    /** The arguments of {@code trace PORT|all COUNT}, checked (port -1 for all). */
    record TraceRequest(int port, long count) {
        static TraceRequest parse(String args) {
            String[] a = args.strip().split(" +");
            if (a.length != 2) {
                throw new IllegalArgumentException("usage: trace PORT|all COUNT");
            }
            int port;
            long count;
            try {
                port = a[0].equals("all") ? -1 : Integer.parseInt(a[0]);
                count = Long.parseLong(a[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("usage: trace PORT|all COUNT (not '" + args.strip() + "')");
            }
            if (port != -1 && (port < 1 || port > 65535)) {
                throw new IllegalArgumentException("trace port must be 1..65535 or all");
            }
            if (count < 0) {
                throw new IllegalArgumentException("COUNT must be 0 (no limit) or more");
            }
            return new TraceRequest(port, count);
        }
    }

    /**
     * The arguments of {@code capture SNAPLEN pcap|pcapng[:micro|:nano] COUNT [FILTER]}, checked: a
     * malformed request is refused with IllegalArgumentException (the client gets "error: ...").
     */
    record CaptureRequest(int snaplen, boolean pcapng, io.tapstack.capture.TimestampResolution resolution, long count,
                          String filter) {
        static CaptureRequest parse(String args) {
            String[] a = args.split(" ", 4);
            if (a.length < 3) {
                throw new IllegalArgumentException("usage: capture SNAPLEN pcap|pcapng[:micro|:nano] COUNT [FILTER]");
            }
            int snaplen = Integer.parseInt(a[0]);
            if (snaplen <= 0 || snaplen > MAX_SNAPLEN) {
                // found by ControlProtocolFuzzTarget: `tapstack capture -s` checks this, but the socket took any
                // value from any client (above 262144 libpcap refuses the file; 0 or less failed only in the writer)
                throw new IllegalArgumentException("snaplen must be 1.." + MAX_SNAPLEN);
            }
            // FORMAT is pcap or pcapng, optionally with ":micro" or ":nano" (the default)
            String[] fmt = a[1].split(":", 2);
            boolean ng = fmt[0].equals("pcapng");
            if (!ng && !fmt[0].equals("pcap") || fmt.length > 1 && !fmt[1].equals("micro") && !fmt[1].equals("nano")) {
                throw new IllegalArgumentException("format must be pcap or pcapng, optionally :micro or :nano");
            }
            io.tapstack.capture.TimestampResolution res = fmt.length > 1 && fmt[1].equals("micro")
                    ? io.tapstack.capture.TimestampResolution.MICROSECONDS : io.tapstack.capture.TimestampResolution.NANOSECONDS;
            long count = Long.parseLong(a[2]);
            if (count < 0) {
                throw new IllegalArgumentException("COUNT must be 0 (no limit) or more");
            }
            return new CaptureRequest(snaplen, ng, res, count, a.length > 3 ? a[3] : "");
        }
    }

    /** A channel that holds what is written until {@link #open()}, then passes everything through, in order. */
    private static final class Gate implements java.nio.channels.WritableByteChannel {
        private final SocketChannel out;
        private java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();

        Gate(SocketChannel out) {
            this.out = out;
        }

        @Override
        public synchronized int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (held != null) {
                byte[] b = new byte[n];
                src.get(b);
                held.write(b);
                return n;
            }
            while (src.hasRemaining()) {
                out.write(src);
            }
            return n;
        }

        synchronized void open() throws IOException {
            ByteBuffer b = ByteBuffer.wrap(held.toByteArray());
            held = null;
            while (b.hasRemaining()) {
                out.write(b);
            }
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Addresses with their state, like {@code ip addr}. */
    private void addr(String args, OutputStream out, SocketChannel client) throws Exception {
        NetStack s = loop.stack();
        String text = loop.call(() -> {
            StringBuilder sb = new StringBuilder();
            sb.append("link/ether ").append(s.macAddress()).append(" mtu ").append(s.mtu()).append('\n');
            for (io.tapstack.wire.InterfaceAddress a : s.config().ipv4) {
                sb.append("inet ").append(a).append('\n');
            }
            if (s.config().ipv6Enabled) {
                for (io.tapstack.ip6.LocalAddress a : s.ipv6().addresses()) {
                    sb.append("inet6 ").append(io.tapstack.wire.Ipv6Address.toString(a.hi(), a.lo())).append('/')
                            .append(a.prefixLength()).append(' ').append(a.origin().name().toLowerCase())
                            .append(' ').append(a.state().name().toLowerCase()).append('\n');
                }
            }
            return sb.toString();
        }).get(5, TimeUnit.SECONDS);
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The IPv6 neighbour cache, like {@code ip -6 neigh}. */
    private void neigh(String args, OutputStream out, SocketChannel client) throws Exception {
        NetStack s = loop.stack();
        String text = loop.call(() -> {
            StringBuilder sb = new StringBuilder();
            if (s.config().ipv6Enabled) {
                for (io.tapstack.ip6.Ndp.Neighbor n : s.ndp().neighbors()) {
                    sb.append(n.address()).append(" lladdr ").append(MacAddress.toString(n.mac())).append(' ')
                            .append(n.state()).append(n.isRouter() ? " router" : "").append('\n');
                }
            }
            return sb.toString();
        }).get(5, TimeUnit.SECONDS);
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        closed = true;
        for (io.tapstack.capture.CaptureSession cs : captures) {
            runtime.removeCapture(cs);
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
