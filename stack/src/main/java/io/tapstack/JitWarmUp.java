package io.tapstack;

import io.tapstack.context.StackConfig;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.wire.InterfaceAddress;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.MacAddress;

import java.nio.ByteBuffer;

/**
 * A training run for the JIT before a host starts: two private stacks on an in-memory wire, on
 * virtual time, exchange ICMP echoes, ICMPv6 echoes and TCP connections with data both ways,
 * until the receive and transmit paths have run often enough to be compiled (HotSpot compiles
 * a method after a few thousand calls; a host answering a ping a second would otherwise run
 * that path in the interpreter and the first compiler tier for hours, at several times the
 * CPU per packet and latency). Nothing leaves the process: the stacks share no state with the
 * real host and are dropped afterwards.
 */
public final class JitWarmUp {
    private static final int IP_A = 0x0a000001;
    private static final int IP_B = 0x0a000002;
    private static final long MS = 1_000_000L;

    /** What one run did. */
    public record Result(int echoes, int echoes6, int connections, long bytes, long nanos) {
        @Override
        public String toString() {
            return echoes + " echoes, " + echoes6 + " ICMPv6 echoes, " + connections + " TCP connections ("
                    + bytes / 1024 + " KiB) in " + nanos / 1_000_000 + " ms";
        }
    }

    /** The real-time budget a host gives it ({@code tapstack run}, the Netty transport). */
    public static final long HOST_BUDGET_NANOS = 1_500_000_000L;
    /** Frames a host carried (both ways) after which its warm-up ends early: real traffic trains the JIT by itself. */
    public static final long YIELD_FRAMES = 500;

    private JitWarmUp() {
    }

    /**
     * Starts a warm-up on a daemon thread of the lowest priority, named {@code tapstack-warm-up},
     * for a host whose stacks are {@code stacks}: {@link #HOST_BUDGET_NANOS}, ending sooner once
     * they have carried {@link #YIELD_FRAMES} frames (their link counters, read without their loop:
     * plain longs, approximate is enough). The future completes with what it did.
     */
    public static java.util.concurrent.CompletableFuture<Result> startFor(java.util.List<NetStack> stacks) {
        java.util.List<NetStack> all = java.util.List.copyOf(stacks);
        java.util.function.BooleanSupplier busy = () -> {
            long n = 0;
            for (NetStack s : all) {
                n += s.linkStats().get(io.tapstack.link.LinkCounter.RX_FRAMES)
                        + s.linkStats().get(io.tapstack.link.LinkCounter.TX_FRAMES);
            }
            return n > YIELD_FRAMES;
        };
        java.util.concurrent.CompletableFuture<Result> done = new java.util.concurrent.CompletableFuture<>();
        Thread w = new Thread(() -> {
            try {
                done.complete(run(HOST_BUDGET_NANOS, busy));
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
                throw e;
            }
        }, "tapstack-warm-up");
        w.setDaemon(true);
        w.setPriority(Thread.MIN_PRIORITY);
        w.start();
        return done;
    }

    /** Runs for about {@code budgetNanos} of real time (bounded in counts too). */
    public static Result run(long budgetNanos) {
        return run(budgetNanos, () -> false);
    }

    /**
     * Runs for about {@code budgetNanos} of real time, and ends sooner once {@code realTraffic}
     * says the host is busy (asked every 20 echoes and before each connection): traffic that
     * comes in thousands of frames trains the JIT by itself, and a synthetic run beside it would
     * only take the CPU (and the compiler threads) from it — with downloads right after start,
     * the warm-up thread had 14–31 % of the host's CPU samples (docs/performance.md, session 7).
     */
    public static Result run(long budgetNanos, java.util.function.BooleanSupplier realTraffic) {
        long start = System.nanoTime();
        long end = start + budgetNanos;
        VirtualClock clock = new VirtualClock();
        PairLink[] w = PairLink.create(1500);
        NetStack a = new NetStack(w[0], config(IP_A, 0x020000000001L), clock);
        NetStack b = new NetStack(w[1], config(IP_B, 0x020000000002L), clock);
        // DAD and the first neighbour resolutions, on virtual time
        for (int i = 0; i < 300; i++) {
            step(clock, a, b, 10 * MS);
        }
        byte[] data = new byte[56];
        io.tapstack.ip6.LocalAddress bLl = b.ipv6().linkLocal();
        boolean v6 = bLl != null;
        long bHi = v6 ? bLl.hi() : 0;
        long bLo = v6 ? bLl.lo() : 0;
        int echoes = 0;
        int echoes6 = 0;
        int conns = 0;
        Sink sink = new Sink();
        TcpListener l;
        try {
            l = b.tcp().listen(null, 9, 64, null);
        } catch (TcpException e) {
            throw new IllegalStateException("warm-up listener", e);
        }
        l.setChildHandler(sink);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // the child handler reads and closes
            }
        });
        byte[] chunk = new byte[16384];
        rounds:
        for (int round = 0; round < 200 && (round < 2 || System.nanoTime() < end); round++) {
            for (int i = 0; i < 200; i++) {
                if (i % 20 == 0 && realTraffic.getAsBoolean()) {
                    break rounds; // a round takes ~0.5 s while the code is still interpreted
                }
                a.icmp().sendEchoRequest(IP_B, 1, echoes++, data);
                if (v6 && a.icmp6().sendEchoRequest(bHi, bLo, 1, echoes6, data)) {
                    echoes6++;
                }
                step(clock, a, b, 10_000);
            }
            for (int i = 0; i < 4; i++) {
                if (realTraffic.getAsBoolean()) {
                    break rounds;
                }
                TcpConnection c;
                try {
                    c = a.tcp().connect(IpAddr.ofV4(IP_B), 9, new TcpHandler() { });
                } catch (TcpException e) {
                    break;
                }
                for (int k = 0; k < 20 && !c.isConnected(); k++) {
                    step(clock, a, b, MS);
                }
                for (int k = 0; k < 16 && c.isConnected(); k++) {
                    try {
                        c.write(ByteBuffer.wrap(chunk));
                    } catch (TcpException e) {
                        break;
                    }
                    step(clock, a, b, MS);
                }
                c.close();
                conns++;
                for (int k = 0; k < 20; k++) {
                    step(clock, a, b, MS);
                }
            }
        }
        l.close();
        // let TIME-WAIT and every timer run out, so nothing is left scheduled
        for (int i = 0; i < 130; i++) {
            step(clock, a, b, 1000 * MS);
        }
        // what was answered and carried, not just sent
        return new Result((int) a.icmp().counters().get(io.tapstack.ip.IcmpCounter.RX_ECHO_REPLY),
                (int) a.icmp6().counters().get(io.tapstack.ip6.Icmp6Counter.RX_ECHO_REPLY), conns,
                sink.received, System.nanoTime() - start);
    }

    private static void step(VirtualClock clock, NetStack a, NetStack b, long nanos) {
        clock.advance(nanos);
        long now = clock.nanos();
        for (int i = 0; i < 4; i++) {
            a.poll(now);
            b.poll(now);
        }
    }

    private static StackConfig config(int ip, long mac) {
        StackConfig c = new StackConfig();
        c.mac = MacAddress.of(mac);
        c.ipv4.add(new InterfaceAddress(ip, 24));
        return c;
    }

    /** Reads what arrives and closes at the end of the stream. */
    private static final class Sink implements TcpHandler {
        private final ByteBuffer buf = ByteBuffer.allocate(65536);
        long received;

        @Override
        public void onReadable(TcpConnection c) {
            try {
                while (true) {
                    buf.clear();
                    int n = c.read(buf);
                    if (n < 0) {
                        c.close();
                        return;
                    }
                    if (n == 0) {
                        return;
                    }
                    received += n;
                }
            } catch (TcpException e) {
                c.abort();
            }
        }
    }
}
