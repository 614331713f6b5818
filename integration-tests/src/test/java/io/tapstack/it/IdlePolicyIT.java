package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loop's idle policies against real pings (docs/architecture.md, the event loop): what
 * {@code tapstack stat -a} says under {@code loop:} about how arrivals found the loop, and what an
 * idle host costs.
 */
class IdlePolicyIT {
    static Netns ns;

    @BeforeAll
    static void up() {
        ns = Netns.create("idl", "10.0.0.1/24");
    }

    @AfterAll
    static void down() {
        if (ns != null) {
            ns.close();
        }
    }

    private static void ping(String interval, int count) {
        Sh.Result r = ns.exec(60, "ping", "-n", "-q", "-c", String.valueOf(count), "-i", interval, "-W", "2", "10.0.0.2");
        assertTrue(r.out().contains(" " + count + " received"), "ping -i " + interval + ": " + r.out() + r.err());
    }

    /** CPU time of all the process's threads, in ns (the first field of each task's schedstat). */
    private static long cpuNanos(long pid) throws Exception {
        long sum = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    sum += Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
                } catch (java.io.IOException gone) {
                    // a thread that ended meanwhile
                }
            }
        }
        return sum;
    }

    @Test
    void theDefaultHybridCountsHowArrivalsFoundItAndAnIdleHostSleeps() throws Exception {
        // Whether a window is predicted depends on the machine (a loaded one makes arrivals, as the
        // loop sees them, jitter by milliseconds, and the policy then rightly sleeps): the
        // prediction itself is tested on virtual time (IdlePolicyTest); here, that every arrival
        // is accounted for and that spinning stops when the traffic does.
        Host host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6"); // --idle hybrid is the default
        try {
            ping("0.002", 300); // a burst 2 ms apart
            ping("0.05", 15);   // then 50 ms apart: a new rhythm
            Map<String, Long> c = host.liveCounters();
            long arrivals = c.get("loop.arrivals_spinning") + c.get("loop.arrivals_sleeping");
            // each ping is an arrival after idleness, unless a late loop read two in one pass
            assertTrue(arrivals >= 200 && arrivals <= 330, "arrivals " + arrivals + " for 315 pings (and the stat command)");
            long predicted = c.get("loop.arrivals_window_early") + c.get("loop.arrivals_window_hit") + c.get("loop.arrivals_window_late");
            assertTrue(predicted <= arrivals, "predicted " + predicted);
            assertTrue(c.get("loop.prediction_restarts") >= 1, "the rhythm changed: " + c.get("loop.prediction_restarts"));
            assertTrue(c.get("loop.timed_wakes") > 0 && c.get("loop.idle_spins") > 0, "timed wakes and spins after work");
            // the JIT warm-up (on by default) is over: it gave way to the pings or ran its 1.5 s
            assertEquals(1L, c.get("warm_up.done"), c.toString());
            assertTrue(c.get("warm_up.millis") < 10_000, "warm-up took " + c.get("warm_up.millis") + " ms");

            // no traffic: after the windows have passed, the host sleeps (a spinning loop takes ~100 %)
            Thread.sleep(1000);
            long before = cpuNanos(host.pid());
            Thread.sleep(3000);
            double share = (cpuNanos(host.pid()) - before) / 3e9;
            assertTrue(share < 0.05, "idle host used " + share * 100 + " % of a CPU");
        } finally {
            assertEquals(0, host.stop(), host.output());
        }
    }

    @Test
    void idleSleepNeverSpins() {
        Host host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6", "--idle", "sleep");
        try {
            ping("0.01", 50);
            Map<String, Long> c = host.liveCounters();
            assertEquals(0L, c.get("loop.idle_spins"), c.toString());
            assertEquals(0L, c.get("loop.arrivals_spinning"), c.toString());
            assertTrue(c.get("loop.arrivals_sleeping") >= 50, c.toString());
        } finally {
            assertEquals(0, host.stop(), host.output());
        }
    }
}
