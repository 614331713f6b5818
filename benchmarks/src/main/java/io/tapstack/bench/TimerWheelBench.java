package io.tapstack.bench;

import io.tapstack.loop.Timer;
import io.tapstack.loop.TimerWheel;
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
 * Timer wheel operations as TCP uses them: re-arm a retransmission timer on every ACK (cancel +
 * schedule), with 10,000 other timers pending, and advance time firing what is due.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TimerWheelBench {
    TimerWheel wheel;
    Timer[] timers;
    long now;
    int i;
    long fired;

    @Setup
    public void setup() {
        now = 1_000_000_000L;
        wheel = new TimerWheel(now);
        timers = new Timer[10_000];
        for (int k = 0; k < timers.length; k++) {
            final int idx = k;
            // a fired timer re-arms itself 10 s later, so the population stays at 10,000
            timers[k] = new Timer(t -> {
                fired++;
                wheel.schedule(timers[idx], t + 10_000_000_000L);
            });
            wheel.schedule(timers[k], now + 200_000_000L + k * 1_000_000L);
        }
    }

    @Benchmark
    public void rearm() {
        Timer t = timers[i++ % timers.length];
        wheel.schedule(t, now + 200_000_000L + (i & 1023) * 1_000_000L);
    }

    @Benchmark
    public int advanceOneTick() {
        now += 1_000_000L;
        return wheel.expire(now);
    }
}
