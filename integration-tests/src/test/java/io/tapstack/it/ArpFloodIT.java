package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An ARP flood from ~20,000 spoofed senders in the host's own /16 (requests for the host's address,
 * replies to it nobody asked for, unsolicited broadcast replies, gratuitous ARP) in the default
 * configuration: the ARP cache stays within its bound (1,024, read with {@code tapstack stat --arp}),
 * the entries it had to give up are counted as evictions, the host's heap after a full GC grows by
 * no more than a few MB, and Linux's ping gets every answer during the flood and after it.
 */
class ArpFloodIT {
    static final String HOST_IP = "10.0.0.2";
    static final String KERNEL_IP = "10.0.0.1";
    static final String HOST_MAC = "02:00:00:00:00:0a";
    static final int ARP_CACHE = 1024; // StackConfig.arpCacheSize
    /** Frames a second: far beyond any real LAN's ARP, below what the loop handles (so the TAP queue does not decide). */
    static final int RATE = 10_000;
    static final int SECONDS = 6;
    static Netns ns;
    static Host host;

    @BeforeAll
    static void up() {
        ns = Netns.create("arpf", KERNEL_IP + "/16");
        host = Host.start(ns, "--ipv4", HOST_IP + "/16", "--mac", HOST_MAC, "--no-ipv6", "--offload", "none");
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns);
    }

    @Test
    void arpCacheStaysBoundedEvictionsCountedAndPingKeepsWorking_rfc826_rfc1122s2321() throws Exception {
        assertEquals(0, ns.exec(20, "ping", "-c", "2", "-i", "0.2", "-W", "2", HOST_IP).exit(), "ping before the flood");
        long heapBefore = Flood.heapAfterGc(host);
        Map<String, Long> before = host.liveCounters();
        List<Integer> rowsDuring = new ArrayList<>();
        String ping;
        String flood;
        try (Flood f = Flood.start(ns, "arp", HOST_MAC, HOST_IP, SECONDS, 826, RATE)) {
            // Linux pings through the whole flood: every request must be answered (a reply may wait
            // for the host to resolve Linux's address again when the flood evicted it)
            ping = f.pingWhileSampling(ns, List.of("ping", "-c", "20", "-i", "0.25", "-W", "2", HOST_IP),
                    () -> Flood.tableRows(host.stat("--arp"), 1), rowsDuring);
            flood = f.awaitEnd(30);
        }
        Map<String, Long> after = host.liveCounters();
        int rowsAfter = Flood.tableRows(host.stat("--arp"), 1);
        long heapAfter = Flood.heapAfterGc(host);
        long rx = Flood.delta(before, after, "arp.rx");
        long learned = Flood.delta(before, after, "arp.learned");
        long evicted = Flood.delta(before, after, "arp.evicted");
        long replies = Flood.delta(before, after, "arp.tx_reply");
        int[] pc = Flood.pingCounts(ping);
        String ctx = flood + "; arp rx " + rx + ", learned " + learned + ", evicted " + evicted + ", replies " + replies
                + "; cache rows during " + rowsDuring + ", after " + rowsAfter + "; heap after GC " + (heapBefore >> 10)
                + " KB -> " + (heapAfter >> 10) + " KB; ping " + pc[1] + "/" + pc[0];
        System.out.println("ArpFloodIT: " + ctx);
        long sent = Flood.sent(flood);
        assertTrue(sent >= (long) RATE * SECONDS / 2, "the flood ran: " + ctx);
        assertTrue(rx >= sent * 9 / 10, "the host read (nearly) every flood frame: " + ctx);
        for (int r : rowsDuring) {
            assertTrue(r <= ARP_CACHE, "ARP cache within its bound during the flood: " + ctx);
        }
        assertTrue(rowsAfter <= ARP_CACHE && rowsAfter >= ARP_CACHE / 2, "the flood filled the cache, within its bound: " + ctx);
        assertTrue(learned > ARP_CACHE, "senders that asked for us were learnt (RFC 826 merge): " + ctx);
        assertTrue(evicted >= learned - ARP_CACHE, "every entry given up was counted: " + ctx);
        assertTrue(replies >= sent / 4 * 9 / 10, "requests for our address answered: " + ctx);
        assertEquals(20, pc[0], ping);
        assertEquals(pc[0], pc[1], "every ping during the flood answered: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "heap bounded: " + ctx);
        Sh.Result p = ns.exec(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", HOST_IP);
        assertEquals(0, p.exit(), "ping after the flood: " + p.out());
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(host.isAlive(), host.output());
    }
}
