package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv4 and IPv6 fragment floods from thousands of spoofed sources (first fragments never completed,
 * tiny 8-byte middle fragments, overlapping pairs) in the default configuration (64 datagrams and
 * 4 MB under reassembly): the datagrams the flood leaves incomplete are evicted oldest first and
 * counted ({@code drop_frag_evicted}), overlaps are counted, the host's heap after a full GC stays
 * bounded, and Linux's large pings ({@code ping -s 8000}, {@code ping -6 -s 8000}), fragmented on
 * the way in and out, get every answer during the flood and after it (RFC 8900 §3.7, RFC 5722,
 * RFC 791 §3.2, RFC 8200 §4.5).
 */
class FragmentFloodIT {
    static final String HOST_IP = "10.0.0.2";
    static final String KERNEL_IP = "10.0.0.1";
    static final String HOST_IP6 = "fd00::2";
    static final String KERNEL_IP6 = "fd00::1";
    static final String HOST_MAC = "02:00:00:00:00:0f";
    static final int MAX_DATAGRAMS = 64; // StackConfig.reassemblyMaxDatagrams
    static final int RATE = 10_000;
    static final int SECONDS = 4;
    static Netns ns;
    static Host host;

    @BeforeAll
    static void up() {
        ns = Netns.create("fragf", KERNEL_IP + "/16");
        ns.ip("addr", "add", KERNEL_IP6 + "/64", "dev", ns.tap, "nodad");
        host = Host.start(ns, "--ipv4", HOST_IP + "/16", "--ipv6", HOST_IP6 + "/64", "--mac", HOST_MAC,
                "--offload", "none");
        Flood.awaitPing6(ns, HOST_IP6);
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns);
    }

    @Test
    void ipv4FragmentFloodKeepsReassemblyBoundedAndLargePingsWorking_rfc8900s37() throws Exception {
        flood("frag4", HOST_IP, "ip.", List.of("ping", "-c", "8", "-i", "0.4", "-W", "2", "-s", "8000", HOST_IP));
    }

    @Test
    void ipv6FragmentFloodKeepsReassemblyBoundedAndLargePingsWorking_rfc8900s37_rfc5722() throws Exception {
        flood("frag6", HOST_IP6, "ip6.", List.of("ping", "-6", "-c", "8", "-i", "0.4", "-W", "2", "-s", "8000", HOST_IP6));
    }

    private void flood(String mode, String hostAddr, String group, List<String> pingCmd) throws Exception {
        Sh.Result warm = ns.exec(30, pingCmd.toArray(String[]::new));
        assertEquals(0, warm.exit(), "large ping before the flood: " + warm.out());
        long heapBefore = Flood.heapAfterGc(host);
        Map<String, Long> before = host.liveCounters();
        String ping;
        String flood;
        try (Flood f = Flood.start(ns, mode, HOST_MAC, hostAddr, SECONDS, 8900, RATE)) {
            Host.sleep(500); // every slot is taken before the first ping
            try (TcpIt.Child p = new TcpIt.Child(ns, pingCmd)) {
                assertTrue(p.process.waitFor(30, TimeUnit.SECONDS), "ping did not end");
                ping = p.log();
            }
            flood = f.awaitEnd(30);
        }
        Map<String, Long> after = host.liveCounters();
        long heapAfter = Flood.heapAfterGc(host);
        long frags = Flood.delta(before, after, group + "rx_fragments");
        long evicted = Flood.delta(before, after, group + "drop_frag_evicted");
        long overlap = Flood.delta(before, after, group + "drop_frag_overlap");
        long limit = Flood.delta(before, after, group + "drop_frag_limit");
        long reassembled = Flood.delta(before, after, group + "reassembled");
        int[] pc = Flood.pingCounts(ping);
        String ctx = flood + "; " + group + " rx_fragments " + frags + ", evicted " + evicted + ", overlap " + overlap
                + ", limit " + limit + ", reassembled " + reassembled + "; heap after GC " + (heapBefore >> 10) + " KB -> "
                + (heapAfter >> 10) + " KB; ping -s 8000 " + pc[1] + "/" + pc[0];
        System.out.println("FragmentFloodIT " + mode + ": " + ctx);
        long sent = Flood.sent(flood);
        assertTrue(sent >= (long) RATE * SECONDS / 2, "the flood ran: " + ctx);
        assertTrue(frags >= sent * 9 / 10, "the host read (nearly) every flood fragment: " + ctx);
        // of every 4 flood frames, a first fragment and a tiny middle one each open a datagram that
        // never completes (and over IPv6 the overlapping pair leaves a poisoned one): far more than
        // the 64 slots, so all but the last 64 were evicted, and counted
        assertTrue(evicted >= sent / 3, "incomplete datagrams evicted, oldest first: " + ctx);
        assertTrue(overlap >= sent / 5, "overlapping fragments counted: " + ctx);
        assertEquals(0, limit, "no new datagram was refused: " + ctx);
        assertEquals(8, pc[0], ping);
        assertEquals(pc[0], pc[1], "every large ping during the flood answered: " + ctx);
        assertTrue(reassembled >= pc[1], "the pings were reassembled: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "heap bounded: " + ctx);
        Sh.Result p = ns.exec(30, pingCmd.toArray(String[]::new));
        assertEquals(0, p.exit(), "large ping after the flood: " + p.out());
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(host.isAlive(), host.output());
    }
}
