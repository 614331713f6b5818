package io.tapstack.bench;

import io.tapstack.NetStack;
import io.tapstack.context.StackConfig;
import io.tapstack.link.PairLink;
import io.tapstack.loop.VirtualClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One ping's worth of stack work, in memory: stack A sends an ICMP echo request (56 bytes of
 * data, as ping's default), stack B reads it and answers, A reads the reply — three passes of
 * the loop's {@code poll} and every layer from Ethernet to ICMP on both sides, with no TAP and
 * no thread wake-up. It bounds what the stack itself adds to a ping's round trip (the rest is
 * the TAP and the scheduler: scripts/bench-latency.sh). Run:
 * {@code java -jar benchmarks/target/tapstack-bench.jar jmh IcmpEchoBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IcmpEchoBench {
    static final int IP_A = 0x0a000001;
    static final int IP_B = 0x0a000002;

    VirtualClock clock;
    NetStack a;
    NetStack b;
    final byte[] data = new byte[56];
    int seq;

    @Setup
    public void setup() {
        clock = new VirtualClock();
        PairLink[] w = PairLink.create(1500);
        a = new NetStack(w[0], TcpInputBench.config(IP_A, 0x020000000001L), clock);
        b = new NetStack(w[1], TcpInputBench.config(IP_B, 0x020000000002L), clock);
        // resolve the neighbours once (ARP), so every measured ping is the steady state
        for (int k = 0; k < 10; k++) {
            a.icmp().sendEchoRequest(IP_B, 1, seq++, data);
            pass();
        }
        if (a.icmp().counters().get(io.tapstack.ip.IcmpCounter.RX_ECHO_REPLY) == 0) {
            throw new IllegalStateException("no echo reply");
        }
    }

    private long pass() {
        clock.advance(1_000);
        long n = clock.nanos();
        return a.poll(n) + b.poll(n) + a.poll(n);
    }

    @Benchmark
    public long echo() {
        a.icmp().sendEchoRequest(IP_B, 1, seq++, data);
        return pass();
    }
}
