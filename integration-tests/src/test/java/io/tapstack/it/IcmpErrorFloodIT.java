package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An ICMP error flood while Linux downloads a file from the host: Destination Unreachable (port)
 * and Fragmentation Needed with a next-hop MTU of 68 from spoofed routers, quoting the running
 * connection with random sequence numbers, host unreachables quoting connections that do not exist,
 * and UDP datagrams to a closed port of the host from spoofed on-link sources, whose port
 * unreachables each wait for an ARP reply that never comes (the ARP cache fills with INCOMPLETE
 * entries, which must not push out Linux's resolved entry: the download would stall). RFC 5927 §4.1: only errors quoting a sequence
 * number in flight act, the rest are counted and ignored; the path MTU never goes below 552 (RFC
 * 1191 §3, Linux's min_pmtu); the host's own port unreachables are rate-limited (RFC 1812
 * §4.3.2.8, RFC 1122 §3.2.2); the download completes byte-identical and the heap stays bounded.
 */
class IcmpErrorFloodIT {
    static final String HOST_MAC = "02:00:00:00:00:0c";
    static final int CLIENT_PORT = 40404;
    static final int RATE = 10_000;
    static final int SECONDS = 5;
    static FloodFixture fx;

    @BeforeAll
    static void up() throws Exception {
        fx = FloodFixture.start("icmpf", 24L << 20, 5927, null, "--ipv4", HOST_IP + "/16", "--mac", HOST_MAC, "--no-ipv6");
    }

    @AfterAll
    static void down() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void onlyErrorsQuotingInFlightDataActOwnErrorsRateLimitedTransferCompletes_rfc5927s41() throws Exception {
        assertEquals(0, fx.ns().exec(20, "ping", "-c", "2", "-i", "0.2", "-W", "2", HOST_IP).exit(), "ping before the flood");
        long heapBefore = Flood.heapAfterGc(fx.host());
        Map<String, Long> before = fx.host().liveCounters();
        Path got = fx.got();
        String flood;
        String curl;
        long t0;
        long t1;
        try (Flood f = Flood.start(fx.ns(), "icmp4", HOST_MAC, HOST_IP, SECONDS, 5927, RATE, KERNEL_IP, String.valueOf(CLIENT_PORT))) {
            t0 = System.nanoTime();
            // about 4 s at 6 MB/s: the transfer runs inside the flood
            try (TcpIt.Child c = new TcpIt.Child(fx.ns(), List.of("curl", "-sS", "--fail", "--max-time", "60", "--local-port",
                    String.valueOf(CLIENT_PORT), "--limit-rate", "6M", "-o", got.toString(),
                    "http://" + HOST_IP + "/file.bin"))) {
                assertTrue(c.process.waitFor(70, TimeUnit.SECONDS), "curl did not end");
                curl = "curl exit " + c.process.exitValue() + " " + c.log().trim();
            }
            flood = f.awaitEnd(30);
            t1 = System.nanoTime();
        }
        Map<String, Long> after = fx.host().liveCounters();
        long heapAfter = Flood.heapAfterGc(fx.host());
        long rxUnreach = Flood.delta(before, after, "icmp.rx_dest_unreachable");
        long outOfWindow = Flood.delta(before, after, "tcp.icmp_out_of_window");
        long noConn = Flood.delta(before, after, "tcp.icmp_no_connection");
        long pmtu = Flood.delta(before, after, "tcp.pmtu_updates");
        long soft = Flood.delta(before, after, "tcp.icmp_soft_errors");
        long txUnreach = Flood.delta(before, after, "icmp.tx_dest_unreachable");
        long limited = Flood.delta(before, after, "icmp.errors_rate_limited");
        long arpFull = Flood.delta(before, after, "arp.drop_cache_full");
        int arpRows = Flood.tableRows(fx.host().stat("--arp"), 1);
        double secs = (t1 - t0) / 1e9;
        String ctx = flood + "; " + curl + "; icmp rx dest unreachable " + rxUnreach + "; tcp icmp out of window " + outOfWindow
                + ", no connection " + noConn + ", pmtu updates " + pmtu + ", soft errors " + soft + "; icmp tx dest unreachable "
                + txUnreach + ", rate limited " + limited + " in " + String.format("%.1f", secs) + " s; arp rows " + arpRows
                + ", refused " + arpFull + "; heap after GC "
                + (heapBefore >> 10) + " KB -> " + (heapAfter >> 10) + " KB";
        System.out.println("IcmpErrorFloodIT: " + ctx);
        long sent = Flood.sent(flood);
        assertTrue(sent >= (long) RATE * SECONDS / 2, "the flood ran: " + ctx);
        assertTrue(curl.startsWith("curl exit 0"), ctx);
        TcpIt.assertSameBytes(fx.served(), got);
        // three frames in four are errors quoting TCP; all reached TCP and changed nothing
        assertTrue(rxUnreach >= sent * 3 / 4 * 9 / 10, "the host read (nearly) every error: " + ctx);
        assertTrue(outOfWindow + noConn >= rxUnreach * 9 / 10, "errors not quoting data in flight ignored, counted: " + ctx);
        assertTrue(outOfWindow > sent / 10, "the flood overlapped the transfer: " + ctx);
        // a random sequence number lands in flight about once in 10⁴ guesses: at most one PMTU drop, to 552
        assertTrue(pmtu <= 1, "the path MTU fell at most once: " + ctx);
        // the UDP quarter: answered within the token bucket, the rest counted
        Flood.assertOwnErrorsRateLimited(txUnreach, limited, secs, ctx);
        assertTrue(arpRows <= 1024, "ARP cache within its bound: " + ctx);
        // the answers to spoofed sources filled the cache with resolutions in progress, refused
        // beyond it, while the download's neighbour kept its entry
        assertTrue(arpFull > 0, "resolutions beyond the bound refused: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "heap bounded: " + ctx);
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(fx.host().isAlive(), fx.host().output());
    }
}
