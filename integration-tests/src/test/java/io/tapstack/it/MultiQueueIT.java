package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A multi-queue TAP with one event loop per queue (issue #6, --queues 2): the kernel spreads
 * flows over the queues, each flow stays on one loop, and everything still works — ping,
 * many concurrent HTTP clients, iperf3 with parallel streams whose connections land on
 * different queues than their control connection. The counters show the spread.
 */
class MultiQueueIT {
    static Netns ns;
    static Host host;

    @BeforeAll
    static void up() {
        ns = Netns.create("mq", "10.0.0.1/24", true);
        host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6", "--queues", "2",
                "--services", "http,echo,iperf3", "--offload", "csum,tso,lro");
    }

    @AfterAll
    static void down() {
        try {
            if (host != null) {
                assertEquals(0, host.stop(), host.output());
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void flowsSpreadOverBothQueuesAndAllWork() {
        assertTrue(host.readyLine().contains("queues=2"), host.readyLine());
        Sh.Result ping = ns.exec(20, "ping", "-c", "20", "-i", "0.01", "-W", "2", "10.0.0.2");
        assertTrue(ping.out().contains(" 0% packet loss"), ping.out());
        // 64 concurrent HTTP clients: different source ports hash to different queues
        Sh.Result curls = ns.exec(60, "bash", "-c",
                "for i in $(seq 1 64); do curl -s -m 20 -o /dev/null -w '%{http_code}\\n' http://10.0.0.2/ & done; wait");
        assertEquals(64, curls.out().lines().filter("200"::equals).count(), curls.out());
        for (String dir : new String[] {"", "-R"}) {
            Sh.Result ip = dir.isEmpty() ? ns.exec(40, "iperf3", "-c", "10.0.0.2", "-t", "2", "-P", "4")
                    : ns.exec(40, "iperf3", "-c", "10.0.0.2", "-t", "2", "-P", "4", "-R");
            assertEquals(0, ip.exit(), "iperf3 -P 4 " + dir + ":\n" + ip.out() + ip.err());
            assertTrue(ip.out().contains("[SUM]") && ip.out().contains("receiver"), ip.out());
        }
        Sh.Result echo = ns.exec(20, "bash", "-c", "echo multi | nc -q1 10.0.0.2 7");
        assertEquals("multi", echo.out().strip());
        Map<String, Long> c = host.liveCounters();
        long q0 = c.getOrDefault("queues.q0_rx_frames", 0L);
        long q1 = c.getOrDefault("queues.q1_rx_frames", 0L);
        assertTrue(q0 > 0 && q1 > 0, "both queues received frames: q0=" + q0 + " q1=" + q1 + " " + c);
        assertEquals(0L, c.getOrDefault("link.internal_error", 0L), c.toString());
    }
}
