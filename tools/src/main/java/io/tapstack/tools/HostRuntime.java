package io.tapstack.tools;

import io.tapstack.EventLoop;
import io.tapstack.NetStack;
import io.tapstack.link.FaultyLink;
import io.tapstack.tap.TapLink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A host that is up: what {@link HostBringUp} built from {@link HostOptions} (one queue per TAP
 * queue, each a link, a stack and a running event loop, or a router's interfaces on one loop), and
 * what the commands ask of it while it runs: the counters summed over queues ({@code stat}), the
 * routing table, packet capture on every queue, the {@code --trace-tcp} file, and an orderly close
 * (loops first, then the trace file, then the TAPs).
 */
public final class HostRuntime implements AutoCloseable {
    /** One queue of a host: its link, stack and loop. */
    public record Queue(TapLink tapLink, FaultyLink faulty, NetStack stack, EventLoop loop) {
    }

    public final List<Queue> queues;
    /** The first queue's, for what is the same on every queue (tables, addresses). */
    public final TapLink tapLink;
    public final FaultyLink faulty;
    public final NetStack stack;
    public final EventLoop loop;
    public final String ipv6Text;
    /** The --trace-tcp file, or null. */
    io.tapstack.tcp.TcpTraceFile trace;
    /** The router joining the queues as interfaces ({@link HostBringUp#openRouter}), or null for one TAP. */
    io.tapstack.Router router;
    /** Per interface of a router: its IPv6 addresses as the ready line shows them. */
    List<String> interfaceIpv6 = List.of();

    HostRuntime(List<Queue> queues, String ipv6Text) {
        this.queues = List.copyOf(queues);
        Queue q = queues.get(0);
        this.tapLink = q.tapLink();
        this.faulty = q.faulty();
        this.stack = q.stack();
        this.loop = q.loop();
        this.ipv6Text = ipv6Text;
    }

    /** The DHCP lease the ready line reports, or null. */
    io.tapstack.dhcp.Lease lease;

    /** The JIT warm-up started after the ready line, or null (--no-warm-up). */
    volatile java.util.concurrent.CompletableFuture<io.tapstack.JitWarmUp.Result> warmUp;

    /** Counters of all queues summed (and the faulty links', the loops'), like netstat -s. */
    public String stats(boolean all) throws Exception {
        List<java.util.Map<String, java.util.Map<String, Long>>> snaps = new ArrayList<>();
        StringBuilder extra = new StringBuilder();
        long passes = 0;
        long alloc = 0;
        long[] idle = new long[io.tapstack.loop.IdlePolicy.COUNTER_NAMES.length];
        long rd = 0;
        long td = 0;
        long dup = 0;
        long reo = 0;
        long cor = 0;
        StringBuilder spread = new StringBuilder();
        for (int i = 0; i < queues.size(); i++) {
            Queue q = queues.get(i);
            FaultyLink f = q.faulty();
            long[] v = q.loop().call(() -> {
                snaps.add(q.stack().stats().snapshot());
                return f == null ? new long[5] : new long[] {f.rxDropped(), f.txDropped(), f.duplicated(), f.reordered(), f.corrupted()};
            }).get(5, TimeUnit.SECONDS);
            rd += v[0];
            td += v[1];
            dup += v[2];
            reo += v[3];
            cor += v[4];
            if (i == 0 || q.loop() != queues.get(0).loop()) { // a router's interfaces share one loop
                passes += q.loop().passes();
                alloc += q.loop().allocatedBytes();
                long[] ic = q.loop().call(q.loop()::idleCounters).get(5, TimeUnit.SECONDS);
                for (int k = 0; k < idle.length; k++) {
                    idle[k] += ic[k];
                }
            }
            if (queues.size() > 1) {
                java.util.Map<String, Long> link = snaps.get(i).get("link");
                // a router's interfaces by name, a multi-queue TAP's queues by number
                String tag = router != null ? q.stack().interfaceName() + "_" : "q" + i + "_";
                spread.append("    ").append(link.get("rx_frames")).append(" ").append(tag).append("rx_frames\n");
                spread.append("    ").append(link.get("tx_frames")).append(" ").append(tag).append("tx_frames\n");
            }
        }
        String s = io.tapstack.stats.StackStats.format(io.tapstack.stats.StackStats.sum(snaps), all);
        if (spread.length() > 0) {
            extra.append(router != null ? "interfaces:\n" : "queues:\n").append(spread);
        }
        io.tapstack.dhcp.DhcpClient dhcp = stack.dhcp();
        if (dhcp != null) {
            extra.append(loop.call(() -> dhcpState(stack)).get(5, TimeUnit.SECONDS));
        }
        extra.append("loop:\n    ").append(passes).append(" passes\n    ").append(alloc).append(" allocated_bytes\n");
        for (int k = 0; k < idle.length; k++) {
            extra.append("    ").append(idle[k]).append(' ').append(io.tapstack.loop.IdlePolicy.COUNTER_NAMES[k]).append('\n');
        }
        if (warmUp != null) {
            // what the JIT warm-up did (done 0 while it runs): why a fresh host used a CPU briefly
            io.tapstack.JitWarmUp.Result w = warmUp.isDone() && !warmUp.isCompletedExceptionally() ? warmUp.getNow(null) : null;
            extra.append("warm_up:\n    ").append(w != null ? 1 : 0).append(" done\n");
            if (w != null) {
                extra.append("    ").append(w.echoes()).append(" echoes\n    ").append(w.echoes6()).append(" echoes6\n    ")
                        .append(w.connections()).append(" connections\n    ").append(w.bytes()).append(" bytes\n    ")
                        .append(w.nanos() / 1_000_000).append(" millis\n");
            }
        }
        if (faulty != null) {
            extra.append("faults:\n    ").append(rd).append(" rx_dropped\n    ").append(td).append(" tx_dropped\n    ")
                    .append(dup).append(" duplicated\n    ").append(reo).append(" reordered\n    ").append(cor).append(" corrupted\n");
        }
        return s + extra;
    }

    /** The IPv4 routing table, one line per route as {@code ip route} prints it. */
    public List<String> routes() throws Exception {
        if (router != null) {
            return loop.call(router::routes).get(5, TimeUnit.SECONDS);
        }
        return loop.call(() -> {
            List<String> l = new ArrayList<>();
            for (io.tapstack.ip.Route r : stack.ipv4().routes().routes()) {
                l.add(io.tapstack.ip.Ipv4Router.describe(r, stack.interfaceName()));
            }
            return l;
        }).get(5, TimeUnit.SECONDS);
    }

    /** The DHCP client's state and lease, for {@code tapstack stat}. */
    private static String dhcpState(NetStack s) {
        io.tapstack.dhcp.DhcpClient d = s.dhcp();
        io.tapstack.dhcp.Lease l = d.lease();
        StringBuilder b = new StringBuilder("dhcp_client:\n    state ").append(d.state()).append('\n');
        if (l != null) {
            long now = s.now();
            b.append("    lease ").append(l).append('\n');
            if (!l.infinite()) {
                b.append("    renew_in ").append(Math.max(0, (l.t1At() - now) / 1_000_000_000L)).append("s\n");
                b.append("    rebind_in ").append(Math.max(0, (l.t2At() - now) / 1_000_000_000L)).append("s\n");
                b.append("    expires_in ").append(Math.max(0, (l.expiresAt() - now) / 1_000_000_000L)).append("s\n");
            }
        }
        b.append("    dns_servers ").append(s.resolver().servers()).append('\n');
        return b.toString();
    }

    /** Attaches a capture session to every queue's stack (the frame-tap SPI). */
    public void addCapture(io.tapstack.capture.CaptureSession cs) {
        for (Queue q : queues) {
            q.stack().addFrameTap(cs);
        }
    }

    public void removeCapture(io.tapstack.capture.CaptureSession cs) {
        for (Queue q : queues) {
            q.stack().removeFrameTap(cs);
        }
    }

    /** Starts --trace-tcp on every queue (port -1: all). */
    void startTrace(io.tapstack.tcp.TcpTraceFile file, int port) throws Exception {
        trace = file;
        for (int i = 0; i < queues.size(); i++) {
            Queue q = queues.get(i);
            io.tapstack.tcp.TcpTraceSink sink = file.sink(i);
            q.loop().call(() -> {
                q.stack().tcp().trace(port, sink);
                return null;
            }).get(5, TimeUnit.SECONDS);
        }
    }

    /** Records written to the --trace-tcp file after flushing every traced connection (0 without tracing). */
    public long flushTrace() {
        if (trace == null) {
            return 0;
        }
        for (Queue q : queues) {
            try {
                q.loop().call(() -> {
                    q.stack().tcp().flushTraces();
                    return null;
                }).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // a loop that failed or stopped: its records are lost, the others are kept
            }
        }
        return trace.records();
    }

    @Override
    public void close() {
        flushTrace();
        for (Queue q : queues) {
            q.loop().close();
        }
        if (trace != null) {
            try {
                trace.close();
            } catch (java.io.IOException ignored) {
                // nothing more to write
            }
        }
        for (Queue q : queues) {
            q.tapLink().close();
        }
    }
}
