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
 * A neighbour-discovery flood from ~20,000 spoofed link-local sources (Neighbor Solicitations for
 * the host's address with a source link-layer option, unsolicited override Advertisements, Router
 * Advertisements each with a new router and a new autoconfigurable prefix) in the default
 * configuration: the neighbour cache stays within 1,024 entries ({@code tapstack stat --neigh}) with
 * its evictions counted, the default-router list within 8, the prefix list within 16 and SLAAC within
 * 16 addresses, the refusals counted, the heap after a full GC bounded, and Linux's ping6 answered
 * during the flood and after it (RFC 4861 §7.2.3, §7.2.5, §6.1.2, §6.3.4; RFC 4862 §5.5.3; RFC 6583 §6).
 */
class NdFloodIT {
    static final String HOST_IP6 = "fd00::2";
    static final String KERNEL_IP6 = "fd00::1";
    static final String HOST_MAC = "02:00:00:00:00:0d";
    static final int ND_CACHE = 1024; // StackConfig.ndCacheSize
    static final int MAX_ROUTERS = 8; // StackConfig.ndMaxRouters
    static final int MAX_PREFIXES = 16; // StackConfig.ndMaxPrefixes
    static final int MAX_SLAAC = 16; // StackConfig.ipv6MaxAutoAddresses
    static final int RATE = 10_000;
    static final int SECONDS = 6;
    static Netns ns;
    static Host host;

    @BeforeAll
    static void up() {
        ns = Netns.create("ndf", "10.0.0.1/24");
        ns.ip("addr", "add", KERNEL_IP6 + "/64", "dev", ns.tap, "nodad");
        host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--ipv6", HOST_IP6 + "/64", "--mac", HOST_MAC, "--offload", "none");
        Flood.awaitPing6(ns, HOST_IP6);
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns);
    }

    @Test
    void neighbourCacheRoutersAndPrefixesStayBoundedAndPing6KeepsWorking_rfc4861s723_s634() throws Exception {
        assertEquals(0, ns.exec(20, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", HOST_IP6).exit(), "ping6 before the flood");
        long heapBefore = Flood.heapAfterGc(host);
        Map<String, Long> before = host.liveCounters();
        List<Integer> rowsDuring = new ArrayList<>();
        String ping;
        String flood;
        try (Flood f = Flood.start(ns, "nd", HOST_MAC, HOST_IP6, SECONDS, 4861, RATE)) {
            ping = f.pingWhileSampling(ns, List.of("ping", "-6", "-c", "20", "-i", "0.25", "-W", "2", HOST_IP6),
                    () -> Flood.tableRows(host.stat("--neigh"), 0), rowsDuring);
            flood = f.awaitEnd(30);
        }
        Map<String, Long> after = host.liveCounters();
        int rowsAfter = Flood.tableRows(host.stat("--neigh"), 0);
        long heapAfter = Flood.heapAfterGc(host);
        long ns6 = Flood.delta(before, after, "ndp.rx_ns");
        long na = Flood.delta(before, after, "ndp.rx_na");
        long ra = Flood.delta(before, after, "ndp.rx_ra");
        long learned = Flood.delta(before, after, "ndp.learned");
        long evicted = Flood.delta(before, after, "ndp.evicted");
        long routers = Flood.delta(before, after, "ndp.routers_added") - Flood.delta(before, after, "ndp.routers_removed");
        long prefixes = Flood.delta(before, after, "ndp.prefixes_added") - Flood.delta(before, after, "ndp.prefixes_removed");
        long slaac = Flood.delta(before, after, "ndp.slaac_addresses");
        long routersFull = Flood.delta(before, after, "ndp.drop_routers_full");
        long prefixesFull = Flood.delta(before, after, "ndp.drop_prefixes_full");
        int[] pc = Flood.pingCounts(ping);
        String ctx = flood + "; ndp rx ns " + ns6 + ", na " + na + ", ra " + ra + ", learned " + learned + ", evicted " + evicted
                + ", routers " + routers + " (refused " + routersFull + "), prefixes " + prefixes + " (refused " + prefixesFull
                + "), slaac " + slaac + "; cache rows during " + rowsDuring + ", after " + rowsAfter + "; heap after GC "
                + (heapBefore >> 10) + " KB -> " + (heapAfter >> 10) + " KB; ping6 " + pc[1] + "/" + pc[0];
        System.out.println("NdFloodIT: " + ctx);
        long sent = Flood.sent(flood);
        assertTrue(sent >= (long) RATE * SECONDS / 2, "the flood ran: " + ctx);
        assertTrue(ns6 + na + ra >= sent * 9 / 10, "the host read (nearly) every flood frame: " + ctx);
        for (int r : rowsDuring) {
            assertTrue(r <= ND_CACHE, "neighbour cache within its bound during the flood: " + ctx);
        }
        assertTrue(rowsAfter <= ND_CACHE && rowsAfter >= ND_CACHE / 2, "the flood filled the cache, within its bound: " + ctx);
        assertTrue(learned > ND_CACHE, "solicitors' link-layer addresses were learnt (RFC 4861 §7.2.3): " + ctx);
        assertTrue(evicted >= learned - ND_CACHE, "every entry given up was counted: " + ctx);
        assertTrue(routers <= MAX_ROUTERS && routers >= 2, "default routers bounded (RFC 4861 §6.3.4: at least two kept): " + ctx);
        assertTrue(prefixes <= MAX_PREFIXES && prefixes >= 1, "on-link prefixes bounded: " + ctx);
        assertTrue(slaac <= MAX_SLAAC, "SLAAC addresses bounded: " + ctx);
        assertTrue(routersFull >= ra / 2 && prefixesFull >= ra / 2, "refused routers and prefixes counted: " + ctx);
        assertEquals(20, pc[0], ping);
        assertEquals(pc[0], pc[1], "every ping6 during the flood answered: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "heap bounded: " + ctx);
        Sh.Result p = ns.exec(20, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", HOST_IP6);
        assertEquals(0, p.exit(), "ping6 after the flood: " + p.out());
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(host.isAlive(), host.output());
    }
}
