package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tapstack.it.Flood.delta;
import static io.tapstack.it.Flood.kind;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPv6 counterpart of {@link IcmpErrorFloodIT}: while Linux downloads a file from the host over
 * IPv6, spoofed routers flood it with ICMPv6 errors ({@code flood.py icmp6}): Packet Too Big with MTUs
 * 0–1279 and 0x80000000+ quoting random TCP 4-tuples, the download itself with sequence numbers
 * half the sequence space away from the last segment seen, UDP ports nobody holds, echo requests never
 * sent and an unknown next header; Destination Unreachable and Time Exceeded quoting the same; and UDP
 * to a closed port from spoofed on-link sources, which the host answers. RFC 8201 §4 and RFC 5927 §4.1,
 * §5.2: no forged Packet Too Big lowers the path MTU (shared by every flow to the destination), each
 * refusal is counted under its reason; RFC 4443 §2.4 (f): the host's own errors are rate-limited; the
 * download completes byte-identical and the heap stays bounded. Then a router with a 1280-byte next
 * hop ({@code flood.py ptb6router}) answers the download's large segments with genuine Packet Too Big
 * messages: the first that quotes a segment still in flight lowers the path MTU to 1280, once, and the
 * download goes on in smaller segments to the end.
 */
class Icmp6ErrorFloodIT {
    static final String HOST_MAC = "02:00:00:00:00:0d";
    static final String HOST6 = "fd00::2";
    static final String KERNEL6 = "fd00::1";
    static final int CLIENT_PORT = 40406;
    static final int RATE = 8_000;
    static final int SECONDS = 4;
    /** The nftables table that plays the router's 1280-byte next hop. */
    static final String NEXT_HOP = "tsit_ptb6_next_hop";
    static FloodFixture fx;

    @BeforeAll
    static void up() throws Exception {
        fx = FloodFixture.start("icmp6f", 48L << 20, 8201, KERNEL6 + "/64", "--ipv4", TcpIt.HOST_IP + "/16",
                "--ipv6", HOST6 + "/64", "--mac", HOST_MAC);
    }

    @AfterAll
    static void down() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void forgedErrorsChangeNothingAndAreCountedAValidPacketTooBigLowersThePathMtu_rfc8201s4_rfc4443s24f() throws Exception {
        Flood.awaitPing6(fx.ns(), HOST6);
        long heapBefore = Flood.heapAfterGc(fx.host());
        Map<String, Long> before = fx.host().liveCounters();
        Path got = fx.got();
        String flood;
        String router;
        String curl;
        Map<String, Long> mid;
        double secs;
        // about 12 s at 4 MB/s: the flood and then the router act while it runs
        try (TcpIt.Child c = new TcpIt.Child(fx.ns(), List.of("curl", "-6", "-sS", "--fail", "--max-time", "60", "--local-port",
                String.valueOf(CLIENT_PORT), "--limit-rate", "4M", "-o", got.toString(),
                "http://[" + HOST6 + "]/file.bin"))) {
            long t0 = System.nanoTime();
            try (Flood f = Flood.start(fx.ns(), "icmp6", HOST_MAC, HOST6, SECONDS, 8201, RATE, KERNEL6,
                    String.valueOf(CLIENT_PORT))) {
                flood = f.awaitEnd(30);
            }
            secs = (System.nanoTime() - t0) / 1e9;
            mid = fx.host().liveCounters();
            assertTrue(c.process.isAlive(), "the download outlasts the flood: " + flood + "; " + c.log());
            // the router's 1280-byte next hop: what is larger never arrives (an nftables ingress drop
            // on the TAP: the kernel never sees it, so never ACKs it, and the segment a Packet Too
            // Big quotes is still in flight when it comes — RFC 5927 §5.2 makes the host check that;
            // without the drop, the kernel's ACK often came first and the valid PTB was refused)
            Path rules = fx.scratch().resolve("ptb6.nft");
            java.nio.file.Files.writeString(rules, "table netdev " + NEXT_HOP + " {\n"
                    + "  counter dropped { }\n"
                    + "  chain ingress {\n"
                    + "    type filter hook ingress device \"" + fx.ns().tap + "\" priority 0; policy accept;\n"
                    + "    ip6 nexthdr tcp tcp sport 80 tcp dport " + CLIENT_PORT + " meta length > 1280 counter name \"dropped\" drop\n"
                    + "  }\n"
                    + "}\n");
            fx.ns().exec(10, "nft", "-f", rules.toString()).ok();
            try {
                // up to 20 s: it ends after 100 segments within 1280 bytes; on a loaded machine the flood
                // may have cost the download a few retransmission timeouts (RFC 6298 §5.5 backoff) first
                try (Flood r = Flood.start(fx.ns(), "ptb6router", HOST_MAC, HOST6, 20, 8201, 200, KERNEL6,
                        String.valueOf(CLIENT_PORT))) {
                    router = r.awaitEnd(35);
                }
                router += "; next hop dropped " + fx.ns().nftCounter("netdev", NEXT_HOP, "dropped");
            } finally {
                fx.ns().exec(10, "nft", "delete", "table", "netdev", NEXT_HOP);
            }
            assertTrue(c.process.waitFor(70, TimeUnit.SECONDS), "curl did not end");
            curl = "curl exit " + c.process.exitValue() + " " + c.log().trim();
        }
        Map<String, Long> after = fx.host().liveCounters();
        int neighRows = Flood.tableRows(fx.host().stat("--neigh"), 0);
        long heapAfter = Flood.heapAfterGc(fx.host());

        long ptbNoFlow = delta(before, mid, "icmp6.ptb_refused_no_flow");
        long ptbNotInFlight = delta(before, mid, "icmp6.ptb_refused_not_in_flight");
        long ptbNoTransport = delta(before, mid, "icmp6.ptb_refused_no_transport");
        long rxPtb = delta(before, mid, "icmp6.rx_packet_too_big");
        long rxUnreach = delta(before, mid, "icmp6.rx_dest_unreachable");
        long rxTimeExceeded = delta(before, mid, "icmp6.rx_time_exceeded");
        long outOfWindow = delta(before, mid, "tcp.icmp_out_of_window");
        long lowered = delta(before, mid, "icmp6.pmtu_lowered");
        long tcpPmtu = delta(before, mid, "tcp.pmtu_updates");
        long txUnreach = delta(before, mid, "icmp6.tx_dest_unreachable");
        long limited = delta(before, mid, "icmp6.errors_rate_limited");
        long sentPtb = kind(flood, "ptb_no_flow") + kind(flood, "ptb_oow") + kind(flood, "ptb_no_transport");
        String ctx = flood + "; " + router + "; " + curl + "; in " + String.format("%.1f", secs) + " s: rx ptb " + rxPtb
                + " (refused no flow " + ptbNoFlow + ", not in flight " + ptbNotInFlight + ", no transport "
                + ptbNoTransport + "), rx unreachable " + rxUnreach + ", rx time exceeded " + rxTimeExceeded
                + "; tcp icmp out of window " + outOfWindow + "; pmtu lowered " + lowered + ", tcp pmtu updates " + tcpPmtu
                + ", pmtu entries " + get(mid, "ip6.pmtu_entries") + " lowest " + get(mid, "ip6.pmtu_lowest")
                + "; tx unreachable " + txUnreach + ", rate limited " + limited + "; after the router: pmtu lowered "
                + delta(mid, after, "icmp6.pmtu_lowered") + ", tcp pmtu updates " + delta(mid, after, "tcp.pmtu_updates")
                + ", ptb refused not in flight " + delta(mid, after, "icmp6.ptb_refused_not_in_flight")
                + ", pmtu entries " + get(after, "ip6.pmtu_entries") + " lowest " + get(after, "ip6.pmtu_lowest")
                + "; neighbour entries " + neighRows + "; heap after GC " + (heapBefore >> 10) + " KB -> " + (heapAfter >> 10) + " KB";
        System.out.println("Icmp6ErrorFloodIT: " + ctx);

        long sent = Flood.sent(flood);
        assertTrue(sent >= (long) RATE * SECONDS / 2, "the flood ran: " + ctx);
        assertTrue(curl.startsWith("curl exit 0"), ctx);
        TcpIt.assertSameBytes(fx.served(), got);
        // each forged Packet Too Big read and refused under its reason (RFC 8201 §4, RFC 5927 §5.2)
        assertTrue(rxPtb >= sentPtb * 9 / 10 && rxPtb <= sentPtb, "the host read (nearly) every PTB: " + ctx);
        assertRoughly(kind(flood, "ptb_no_flow"), ptbNoFlow, "PTBs quoting no flow (TCP 4-tuple, UDP port, echo) " + ctx);
        assertRoughly(kind(flood, "ptb_oow"), ptbNotInFlight, "PTBs quoting the download out of window " + ctx);
        assertRoughly(kind(flood, "ptb_no_transport"), ptbNoTransport, "PTBs quoting an unknown next header " + ctx);
        assertRoughly(kind(flood, "du") + kind(flood, "du_oow"), rxUnreach, "Destination Unreachable read " + ctx);
        assertRoughly(kind(flood, "te") + kind(flood, "te_oow"), rxTimeExceeded, "Time Exceeded read " + ctx);
        // RFC 5927 §4.1: TCP ignored every error quoting the download out of window, and counted it
        long oow = kind(flood, "ptb_oow") + kind(flood, "du_oow") + kind(flood, "te_oow");
        assertRoughly(oow, outOfWindow, "errors quoting the download out of window " + ctx);
        // the path MTU towards Linux never dropped: nothing lowered it, the cache holds nothing
        assertEquals(0, lowered, "no forged PTB lowered the path MTU: " + ctx);
        assertEquals(0, tcpPmtu, "nor the connection's MSS: " + ctx);
        assertEquals(0, get(mid, "ip6.pmtu_entries"), ctx);
        assertEquals(0, get(mid, "ip6.pmtu_lowest"), ctx);
        // RFC 4443 §2.4 (f): the host's own port unreachables within the token bucket, the rest counted
        Flood.assertOwnErrorsRateLimited(txUnreach, limited, secs, ctx);
        assertTrue(txUnreach + limited >= kind(flood, "udp") * 9 / 10, "every closed-port datagram answered or limited: " + ctx);

        // the genuine Packet Too Big: the path MTU went to 1280 once, and TCP's segments followed
        assertTrue(Flood.sent(router) > 0, "the router saw large segments: " + ctx);
        assertTrue(router.matches("(?s).*next hop dropped [1-9]\\d*.*"), "its next hop dropped them: " + ctx);
        assertEquals(1, delta(mid, after, "icmp6.pmtu_lowered"), "a valid PTB lowered the path MTU once: " + ctx);
        assertTrue(delta(mid, after, "tcp.pmtu_updates") >= 1, "the connection's MSS followed: " + ctx);
        assertEquals(1, get(after, "ip6.pmtu_entries"), ctx);
        assertEquals(1280, get(after, "ip6.pmtu_lowest"), ctx);
        assertTrue(router.matches("(?s).*small [1-9]\\d*.*"), "data went on in segments within 1280 bytes: " + ctx);

        // each answer to a spoofed on-link source waited for a resolution that never ends: bounded
        assertTrue(neighRows <= 1024, "neighbour cache within its bound: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "heap bounded: " + ctx);
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(fx.host().isAlive(), fx.host().output());
    }

    /** The host counted between 90 % and 100 % of what was sent of a kind (the TAP may drop a few under load). */
    private static void assertRoughly(long sent, long counted, String what) {
        assertTrue(sent > 0 && counted >= sent * 9 / 10 && counted <= sent, what + ": sent " + sent + ", counted " + counted);
    }
}
