package io.tapstack.bench;

import io.tapstack.capture.BpfFilter;
import io.tapstack.capture.BpfProgram;
import io.tapstack.capture.FilterCompiler;
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
 * Classic BPF filters: the interpreter against the same program compiled to JVM bytecode
 * (hidden class), on a TCP/IPv4 frame. Run:
 * {@code java -jar benchmarks/target/tapstack-bench.jar jmh BpfBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BpfBench {
    @Param({"tcp port 80", "host 10.0.0.1 and (tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or udp port 53)"})
    String expression;

    ByteBuffer frame;
    BpfFilter interpreter;
    BpfFilter compiled;

    @Setup
    public void setup() {
        BpfProgram p = FilterCompiler.compile(expression);
        interpreter = p.interpreter();
        compiled = p.filter();
        frame = ByteBuffer.allocateDirect(1514);
        // Ethernet, IPv4 10.0.0.1 -> 10.0.0.2, TCP 40000 -> 80, ACK
        frame.putShort(12, (short) 0x0800);
        frame.put(14, (byte) 0x45);
        frame.putShort(16, (short) 1500);
        frame.put(22, (byte) 64);
        frame.put(23, (byte) 6);
        frame.putInt(26, 0x0a000001);
        frame.putInt(30, 0x0a000002);
        frame.putShort(34, (short) 40000);
        frame.putShort(36, (short) 80);
        frame.put(46, (byte) 0x50);
        frame.put(47, (byte) 0x10);
    }

    @Benchmark
    public int interpreted() {
        return interpreter.filter(frame, 0, 1514, 1514);
    }

    @Benchmark
    public int jit() {
        return compiled.filter(frame, 0, 1514, 1514);
    }
}
