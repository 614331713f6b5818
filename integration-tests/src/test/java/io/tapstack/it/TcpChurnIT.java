package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connection churn from Linux (issue 11): wrk with {@code Connection: close}, one connection per
 * request, 100 at a time, against the http service on a clean link. The host must not resend data
 * the kernel had acknowledged — the bug was a retransmission timer started at the time of a long
 * pass instead of the time of the send, firing a few ms after the segment left — and it must
 * hold thousands of closed (TIME-WAIT) connections in its 512 MB heap.
 */
class TcpChurnIT {
    static Netns ns;
    static Host host;

    @BeforeAll
    static void up() {
        ns = Netns.create("churn", KERNEL_IP + "/24");
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--no-ipv6", "--services", "http");
    }

    @AfterAll
    static void down() {
        try {
            if (host != null) {
                host.stop();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    /** The namespace's kernel TCP counters ({@code nstat -az}): name → value. */
    static Map<String, Long> kernelCounters() {
        Map<String, Long> m = new HashMap<>();
        Pattern p = Pattern.compile("^(\\S+)\\s+(\\d+)\\s+.*$");
        for (String l : ns.exec(20, "nstat", "-az").ok().out().split("\n")) {
            Matcher mm = p.matcher(l);
            if (mm.matches()) {
                m.put(mm.group(1), Long.parseLong(mm.group(2)));
            }
        }
        return m;
    }

    @Test
    void shortConnectionsAreServedWithoutRetransmittingAcknowledgedData() {
        // warm up (JIT), then measure from here
        ns.exec(30, "wrk", "-t", "1", "-c", "10", "-d", "1s", "-H", "Connection: close", "http://" + HOST_IP + "/").ok();
        Map<String, Long> before = host.liveCounters();
        Map<String, Long> kBefore = kernelCounters();
        Sh.Result r = ns.exec(60, "wrk", "-t", "2", "-c", "100", "-d", "4s", "-H", "Connection: close",
                "http://" + HOST_IP + "/").ok();
        Matcher m = Pattern.compile("(\\d+) requests in").matcher(r.out());
        assertTrue(m.find(), r.out());
        long requests = Long.parseLong(m.group(1));
        assertFalse(r.out().contains("Non-2xx"), r.out());
        assertFalse(r.out().contains("Socket errors"), r.out());
        assertTrue(requests >= 2000, "only " + requests + " requests in 4 s: " + r.out());
        Map<String, Long> after = host.liveCounters();
        Map<String, Long> kAfter = kernelCounters();
        long opens = get(after, "tcp.passive_opens") - get(before, "tcp.passive_opens");
        assertTrue(opens >= requests, "one connection per request: " + opens + " opens for " + requests);
        // a clean link: nothing is lost, so nothing may be resent, by a timeout or a tail-loss probe
        for (String k : new String[] {"tcp.retransmitted_segments", "tcp.rto_timeouts", "tcp.tlp_probes",
                "tcp.syn_retransmits"}) {
            assertEquals(0, get(after, k) - get(before, k), k + " over " + requests + " connections: " + after);
        }
        // and the kernel saw no duplicate (it would answer one with a D-SACK, RFC 2883)
        for (String k : new String[] {"TcpExtTCPDSACKOldSent", "TcpExtTCPDSACKOfoSent"}) {
            assertEquals(0, kAfter.getOrDefault(k, 0L) - kBefore.getOrDefault(k, 0L), k + ": " + kAfter);
        }
        // the host closes first (Connection: close), so the pairs wait in TIME-WAIT, each as a small
        // record rather than a connection (issue 11): every one the host still holds is a record
        long records = get(after, "tcp.time_wait_records") - get(before, "tcp.time_wait_records");
        long inTimeWait = get(after, "tcp.time_wait_current") - get(before, "tcp.time_wait_current");
        long reused = get(after, "tcp.time_wait_reused") - get(before, "tcp.time_wait_reused");
        assertTrue(records >= opens / 2, records + " TIME-WAIT records for " + opens + " connections: " + after);
        assertEquals(records, inTimeWait + reused, "every TIME-WAIT pair became a record: " + after);
        // the host is alive and its closed connections wait in TIME-WAIT in a 512 MB heap
        assertTrue(host.isAlive(), host.output());
        assertTrue(get(after, "tcp.curr_established_peak") >= 50, after.toString());
        assertFalse(host.output().contains("OutOfMemoryError"), host.output());
    }
}
