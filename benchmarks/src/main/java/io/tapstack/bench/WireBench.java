package io.tapstack.bench;

import io.tapstack.wire.Checksum;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Header;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Hot paths of the wire layer: the Internet checksum over a frame, and parsing/emitting an
 * Ethernet + IPv4 header. Run: {@code java -jar benchmarks/target/tapstack-bench.jar jmh WireBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WireBench {
    @Param({"64", "1500"})
    int size;

    ByteBuffer buf;
    final EthernetFrame eth = new EthernetFrame();
    final Ipv4Header ip = new Ipv4Header();

    @Setup
    public void setup() {
        buf = ByteBuffer.allocateDirect(2048);
        for (int i = 0; i < 2048; i++) {
            buf.put(i, (byte) (i * 31));
        }
        EthernetFrame.emit(buf, 0, 0x020000000002L, 0x020000000001L, EthernetFrame.TYPE_IPV4);
        Ipv4Header.emit(buf, 14, 0, size - 14, 1, 0x4000, 64, 6, 0x0a000001, 0x0a000002);
    }

    @Benchmark
    public int checksum() {
        return Checksum.compute(buf, 14, size - 14);
    }

    @Benchmark
    public int parseEthernetIpv4() {
        eth.wrap(buf, 0, size);
        if (!eth.check()) {
            return -1;
        }
        ip.wrap(buf, eth.payloadOffset(), eth.payloadLength());
        if (ip.check(true) != Ipv4Header.Error.NONE) {
            return -2;
        }
        return ip.protocol() + ip.src() + ip.totalLength();
    }

    @Benchmark
    public ByteBuffer emitEthernetIpv4() {
        EthernetFrame.emit(buf, 0, 0x020000000002L, 0x020000000001L, EthernetFrame.TYPE_IPV4);
        Ipv4Header.emit(buf, 14, 0, size - 14, 1, 0x4000, 64, 6, 0x0a000001, 0x0a000002);
        return buf;
    }
}
