package io.tapstack.service;

import io.tapstack.NetStack;
import io.tapstack.EventLoop;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An iperf3-compatible server (TCP tests, port 5201), so a stock {@code iperf3 -c} measures the
 * stack: normal mode (client sends) and reverse mode ({@code -R}, we send), 1..128 parallel
 * streams, time- or byte-limited, results exchanged as JSON.
 *
 * <p>The protocol, as iperf3 3.x speaks it: the client opens a control connection and sends a
 * 36-character cookie plus NUL; the server drives the client with one-byte states —
 * PARAM_EXCHANGE (9), then the client sends a 32-bit big-endian length and its JSON parameters;
 * CREATE_STREAMS (10), then the client opens one data connection per stream, each starting
 * with the same cookie; TEST_START (1) and TEST_RUNNING (2), then data flows; the client sends
 * TEST_END (4); the server sends EXCHANGE_RESULTS (13), reads the client's JSON results and
 * sends its own; DISPLAY_RESULTS (14); the client answers IPERF_DONE (16). Stream ids are
 * numbered 1, 3, 4, 5, … in the order the data connections arrive, as iperf3 numbers them.
 */
public final class Iperf3Service extends LoopService {
    public static final int PORT = 5201;
    static final int COOKIE_SIZE = 37;
    static final byte TEST_START = 1;
    static final byte TEST_RUNNING = 2;
    static final byte TEST_END = 4;
    static final byte PARAM_EXCHANGE = 9;
    static final byte CREATE_STREAMS = 10;
    static final byte SERVER_TERMINATE = 11;
    static final byte CLIENT_TERMINATE = 12;
    static final byte EXCHANGE_RESULTS = 13;
    static final byte DISPLAY_RESULTS = 14;
    static final byte IPERF_DONE = 16;
    static final byte ACCESS_DENIED = -1;
    private static final int MAX_JSON = 1 << 20;

    /**
     * Tests by cookie, shared by the service instances of all the loops of one host: with a
     * multi-queue TAP a client's data connections may land on other queues than its control
     * connection. One test runs at a time.
     */
    private final java.util.concurrent.ConcurrentMap<String, Test> tests;
    private final ByteBuffer sendBlock;
    private long testsRun;

    Iperf3Service(EventLoop loop, int port, java.util.concurrent.ConcurrentMap<String, Test> tests) {
        super(loop, port);
        this.sendBlock = randomBlock();
        this.tests = tests;
    }

    private Iperf3Service(NetStack stack, int port) {
        super(null, stack, port);
        this.sendBlock = randomBlock();
        this.tests = new java.util.concurrent.ConcurrentHashMap<>();
    }

    /** Runs {@code r} on {@code l}'s thread (now, if already there or if there is no loop). */
    private static void onLoop(EventLoop l, Runnable r) {
        if (l == null || l.inLoop()) {
            r.run();
        } else {
            try {
                l.execute(r);
            } catch (IllegalStateException stopped) {
                // that loop is shutting down
            }
        }
    }

    /** Starts the service on a stack driven by the caller (tests). */
    public static Service startOn(NetStack stack, int port) throws Exception {
        return new Iperf3Service(stack, port).start();
    }

    @SuppressWarnings("unchecked")
    static Service start(EventLoop loop, ServiceOptions o) throws Exception {
        java.util.concurrent.ConcurrentMap<String, Test> shared = (java.util.concurrent.ConcurrentMap<String, Test>)
                o.shared.computeIfAbsent("iperf3.tests", k -> new java.util.concurrent.ConcurrentHashMap<String, Test>());
        return new Iperf3Service(loop, o.port("iperf3", PORT), shared).start();
    }

    private static ByteBuffer randomBlock() {
        byte[] b = new byte[1 << 20];
        ThreadLocalRandom.current().nextBytes(b);
        return ByteBuffer.wrap(b).asReadOnlyBuffer();
    }

    @Override
    public String name() {
        return "iperf3";
    }

    /** Tests completed (loop thread). */
    long testsRun() {
        return testsRun;
    }

    @Override
    protected TcpHandler newHandler(TcpConnection c) {
        return new Conn();
    }

    /** A connection whose role (control or data) is known once its cookie has arrived. */
    private final class Conn implements TcpHandler {
        final ByteBuffer cookie = ByteBuffer.allocate(COOKIE_SIZE);
        Test test;
        Stream stream;

        @Override
        public void onReadable(TcpConnection c) {
            try {
                if (test == null) {
                    if (c.read(cookie) < 0) {
                        c.close();
                        return;
                    }
                    if (cookie.hasRemaining()) {
                        return;
                    }
                    String k = new String(cookie.array(), 0, COOKIE_SIZE - 1, StandardCharsets.US_ASCII);
                    Test t = tests.get(k);
                    if (t != null && t.acceptingStreams) {
                        test = t;
                        stream = new Stream(c, loop, t);
                        Stream st = stream;
                        onLoop(t.loop, () -> t.addStream(st));
                        return;
                    }
                    Test fresh = new Test(k, c, loop);
                    boolean busy = false;
                    for (Test other : tests.values()) {
                        // a test whose results were displayed is over for us, even if the
                        // client's IPERF_DONE has not arrived yet (lost, and being resent)
                        busy |= other.phase != Phase.DONE && other.phase != Phase.DISPLAY;
                    }
                    if (busy || tests.putIfAbsent(k, fresh) != null) {
                        // a test is running: iperf3 answers ACCESS_DENIED ("the server is busy")
                        c.write(ByteBuffer.wrap(new byte[] {ACCESS_DENIED}));
                        c.close();
                        return;
                    }
                    test = fresh;
                    test.control(ByteBuffer.wrap(new byte[] {PARAM_EXCHANGE}));
                    test.phase = Phase.PARAMS;
                }
                if (stream != null) {
                    test.dataReadable(stream);
                } else {
                    test.controlReadable();
                }
            } catch (TcpException e) {
                if (test != null && stream == null) {
                    test.finish();
                }
                c.abort();
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (stream != null && test != null) {
                test.pumpSend(stream);
            } else if (test != null && stream == null) {
                test.flushControl();
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            if (stream != null) {
                stream.done = true;
            } else if (test != null && test.phase != Phase.DONE) {
                test.finish();
            }
        }
    }

    private enum Phase { PARAMS, CREATE_STREAMS, RUNNING, RESULTS, DISPLAY, DONE }

    /** A data connection; it lives on its own loop, which may not be the control's. */
    private static final class Stream {
        volatile int id;
        final TcpConnection conn;
        final EventLoop loop;
        final Test test;
        /** Written only on the stream's loop; read by the control's loop for results. */
        volatile long bytes;
        final long retransBase;
        volatile boolean done;

        private ByteBuffer view;
        final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

        Stream(TcpConnection conn, EventLoop loop, Test test) {
            this.conn = conn;
            this.loop = loop;
            this.test = test;
            this.retransBase = conn.retransmits();
        }

        ByteBuffer block() {
            if (view == null) {
                view = test.block.duplicate();
            }
            return view;
        }
    }

    /** One iperf3 test: its control connection, parameters and streams. */
    final class Test {
        final String cookie;
        final TcpConnection control;
        /** The control connection's loop: the test's state changes only there. */
        final EventLoop loop;
        final List<Stream> streams = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile Phase phase;
        volatile boolean acceptingStreams;
        volatile boolean running;
        final ByteBuffer in = ByteBuffer.allocate(MAX_JSON + 4);
        ByteBuffer pendingOut;
        int parallel = 1;
        boolean reverse;
        long byteLimit;
        int blockLen = 128 * 1024;
        long startNanos;
        long endNanos;
        long cpuStart;
        final ByteBuffer block;

        Test(String cookie, TcpConnection control, EventLoop loop) {
            this.cookie = cookie;
            this.control = control;
            this.loop = loop;
            this.block = sendBlock.duplicate();
        }

        void control(ByteBuffer b) throws TcpException {
            if (pendingOut != null && pendingOut.hasRemaining()) {
                ByteBuffer n = ByteBuffer.allocate(pendingOut.remaining() + b.remaining());
                n.put(pendingOut).put(b).flip();
                pendingOut = n;
            } else {
                pendingOut = b;
            }
            control.write(pendingOut);
        }

        void flushControl() {
            try {
                if (pendingOut != null && pendingOut.hasRemaining()) {
                    control.write(pendingOut);
                }
            } catch (TcpException e) {
                finish();
            }
        }

        void controlReadable() throws TcpException {
            while (true) {
                int n = control.read(in);
                if (n < 0) {
                    finish();
                    control.close();
                    return;
                }
                if (n == 0 && !progress()) {
                    return;
                }
                if (n > 0) {
                    while (progress()) {
                        // consume what arrived
                    }
                }
            }
        }

        /** Consumes one complete control message from {@code in}, if there is one. */
        private boolean progress() throws TcpException {
            in.flip();
            try {
                switch (phase) {
                    case PARAMS, RESULTS -> {
                        if (in.remaining() < 4) {
                            return false;
                        }
                        int len = in.getInt(in.position());
                        if (len < 0 || len > MAX_JSON) {
                            throw new IllegalArgumentException("JSON length " + len);
                        }
                        if (in.remaining() < 4 + len) {
                            return false;
                        }
                        byte[] j = new byte[len];
                        in.position(in.position() + 4);
                        in.get(j);
                        String json = new String(j, StandardCharsets.UTF_8);
                        if (phase == Phase.PARAMS) {
                            params(json);
                        } else {
                            Iperf3Json.checkResults(json); // the client's results: validated, not needed
                            byte[] ours = results().getBytes(StandardCharsets.UTF_8);
                            ByteBuffer out = ByteBuffer.allocate(4 + ours.length + 1);
                            out.putInt(ours.length).put(ours).put(DISPLAY_RESULTS).flip();
                            control(out);
                            phase = Phase.DISPLAY;
                        }
                        return true;
                    }
                    default -> {
                        if (!in.hasRemaining()) {
                            return false;
                        }
                        byte state = in.get();
                        onState(state);
                        return true;
                    }
                }
            } catch (IllegalArgumentException e) {
                finish();
                control.abort();
                return false;
            } finally {
                in.compact();
            }
        }

        private void params(String json) throws TcpException {
            Iperf3Json.Params p = Iperf3Json.params(json);
            if (p.denied()) {
                // only TCP, one direction at a time, is offered
                control(ByteBuffer.wrap(new byte[] {ACCESS_DENIED}));
                finish();
                control.close();
                return;
            }
            parallel = p.parallel();
            reverse = p.reverse();
            blockLen = p.blockLen();
            byteLimit = p.byteLimit();
            phase = Phase.CREATE_STREAMS;
            acceptingStreams = true;
            control(ByteBuffer.wrap(new byte[] {CREATE_STREAMS}));
        }

        /** On the control's loop: a data connection arrived (on any loop). */
        void addStream(Stream s) {
            if (phase != Phase.CREATE_STREAMS || streams.size() >= parallel) {
                onLoop(s.loop, s.conn::abort);
                return;
            }
            // iperf3 numbers streams 1, 3, 4, 5, …
            s.id = streams.isEmpty() ? 1 : streams.size() + 2;
            streams.add(s);
            if (streams.size() == parallel) {
                acceptingStreams = false;
                phase = Phase.RUNNING;
                running = true;
                startNanos = System.nanoTime();
                cpuStart = cpuNanos();
                try {
                    control(ByteBuffer.wrap(new byte[] {TEST_START, TEST_RUNNING}));
                } catch (TcpException e) {
                    finish();
                    return;
                }
                if (reverse) {
                    for (Stream x : streams) {
                        onLoop(x.loop, () -> pumpSend(x));
                    }
                }
            }
        }

        void dataReadable(Stream s) throws TcpException {
            ByteBuffer scratch = s.scratch;
            while (true) {
                scratch.clear();
                int n = s.conn.read(scratch);
                if (n < 0) {
                    s.done = true;
                    s.conn.close();
                    return;
                }
                if (n == 0) {
                    return;
                }
                if (running || phase == Phase.CREATE_STREAMS) {
                    s.bytes += n;
                }
            }
        }

        /** On the stream's loop: writes blocks while the send buffer takes them. */
        void pumpSend(Stream s) {
            if (!reverse || !running || s.done) {
                return;
            }
            try {
                while (true) {
                    long room = byteLimit > 0 ? byteLimit - totalBytes() : Long.MAX_VALUE;
                    if (room <= 0) {
                        return;
                    }
                    // every stream's loop writes from its own view of the shared random block
                    ByteBuffer b = s.block();
                    if (!b.hasRemaining()) {
                        b.clear();
                    }
                    int lim = (int) Math.min(Math.min(b.remaining(), blockLen), room);
                    int oldLimit = b.limit();
                    b.limit(b.position() + lim);
                    int n = s.conn.write(b);
                    b.limit(oldLimit);
                    if (n <= 0) {
                        return;
                    }
                    s.bytes += n;
                }
            } catch (TcpException e) {
                s.done = true;
            }
        }

        long totalBytes() {
            long t = 0;
            for (Stream s : streams) {
                t += s.bytes;
            }
            return t;
        }

        private void onState(byte state) throws TcpException {
            switch (state) {
                case TEST_END -> {
                    endNanos = System.nanoTime();
                    running = false;
                    phase = Phase.RESULTS;
                    // Close the data streams, as iperf3's server does: a client reading a whole
                    // block (iperf3 reads blksize bytes at a time) then sees the end of the stream
                    // instead of waiting for the rest of a block that will never come.
                    for (Stream x : streams) {
                        onLoop(x.loop, () -> {
                            if (!x.done) {
                                x.done = true;
                                x.conn.close();
                            }
                        });
                    }
                    control(ByteBuffer.wrap(new byte[] {EXCHANGE_RESULTS}));
                }
                case IPERF_DONE, CLIENT_TERMINATE -> {
                    finish();
                    control.close();
                }
                default -> {
                    // other states are the server's to send; ignore
                }
            }
        }

        /** Our results, in the shape of iperf3's send_results(). */
        private String results() {
            long end = endNanos == 0 ? System.nanoTime() : endNanos;
            double secs = Math.max(1e-9, (end - startNanos) / 1e9);
            double cpu = 100.0 * (cpuNanos() - cpuStart) / 1e9 / secs;
            List<Iperf3Json.StreamResult> rs = new ArrayList<>(streams.size());
            for (Stream s : streams) {
                long retr = reverse ? s.conn.retransmits() - s.retransBase : -1;
                rs.add(new Iperf3Json.StreamResult(s.id, s.bytes, retr));
            }
            return Iperf3Json.results(cpu, reverse, rs, secs);
        }

        void finish() {
            if (phase == Phase.DONE) {
                return;
            }
            phase = Phase.DONE;
            running = false;
            acceptingStreams = false;
            testsRun++;
            for (Stream s : streams) {
                onLoop(s.loop, () -> {
                    if (!s.done) {
                        s.done = true;
                        s.conn.close();
                    }
                });
            }
            tests.remove(cookie, this);
        }
    }

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }
}
