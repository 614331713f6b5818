package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 20 MB each way under 5 % real loss in both directions, byte-identical. What the host sends is
 * dropped by an nftables {@code netdev} ingress chain on the TAP (before the kernel sees it);
 * what the kernel sends is dropped in the host's own receive path ({@code --fault-rx-loss 5}:
 * an nftables output-hook drop would not be loss, the kernel resends at once). The drop counters
 * must show drops, so a run that lost nothing fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpLossIT {
    static final long SIZE = 20L << 20;
    static final String TABLE = "tsit_loss";
    static Netns ns;
    static Host host;
    static Path root;
    static Path scratch;
    static Path file;
    static boolean tableAdded;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-loss-root");
        scratch = Files.createTempDirectory("tsit-loss-scratch");
        file = TcpIt.randomFile(root, "twenty.bin", SIZE, 5);
        ns = Netns.create("loss", KERNEL_IP + "/24");
        Path rules = scratch.resolve("loss.nft");
        // numgen random: each frame from the host (IPv4 from HOST_IP) is dropped with p = 5 %
        Files.writeString(rules, "table netdev " + TABLE + " {\n"
                + "  counter dropped { }\n"
                + "  chain ingress {\n"
                + "    type filter hook ingress device \"" + ns.tap + "\" priority 0; policy accept;\n"
                + "    ip saddr " + HOST_IP + " numgen random mod 100 < 5 counter name \"dropped\" drop\n"
                + "  }\n"
                + "}\n");
        ns.exec(10, "nft", "-f", rules.toString()).ok();
        tableAdded = true;
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--no-ipv6", "--services", "http", "--http-root", root.toString(),
                "--fault-rx-loss", "5", "--fault-seed", "7", "--trace-tcp", "80", "--trace-file", scratch.resolve("loss.trace").toString());
    }

    @AfterAll
    static void down() {
        try {
            if (host != null) {
                host.stop();
            }
            if (tableAdded) {
                ns.exec(10, "nft", "delete", "table", "netdev", TABLE);
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
            TcpIt.deleteTree(root);
            TcpIt.deleteTree(scratch);
        }
    }

    /** Packets counted by the nftables drop rule. */
    static long nftDropped() {
        return ns.nftCounter("netdev", TABLE, "dropped");
    }

    @Test
    @Order(1)
    void twentyMegabytesFromTheHostUnderLoss() throws Exception {
        long nftBefore = nftDropped();
        Map<String, Long> before = host.liveCounters();
        Path got = scratch.resolve("down.got");
        long t0 = System.nanoTime();
        Sh.Result r = TcpIt.curl(ns, 150, "--fail", "-o", got.toString(), "-w", "%{http_code} %{size_download}",
                "http://" + HOST_IP + "/twenty.bin");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Long> after = host.liveCounters();
        String summary = "download " + ms + " ms; nft dropped " + (nftDropped() - nftBefore) + "; tcp: " + tcpSummary(before, after);
        assertEquals(0, r.exit(), r.err() + "\n" + summary);
        assertEquals("200 " + SIZE, r.out().trim(), summary);
        TcpIt.assertSameBytes(file, got);
        Files.delete(got);
        // the loss was real: nftables dropped the host's frames, the host resent them
        assertTrue(nftDropped() - nftBefore > 0, "nftables dropped nothing: " + summary);
        assertTrue(get(after, "faults.rx_dropped") - get(before, "faults.rx_dropped") > 0, "no ACK lost: " + summary);
        assertTrue(get(after, "tcp.retransmitted_segments") - get(before, "tcp.retransmitted_segments") > 0, summary);
        assertTrue(get(after, "tcp.fast_retransmits") + get(after, "tcp.rto_timeouts")
                - get(before, "tcp.fast_retransmits") - get(before, "tcp.rto_timeouts") > 0, summary);
        System.out.println("TcpLossIT " + summary);
    }

    @Test
    @Order(2)
    void twentyMegabytesToTheHostUnderLoss() throws Exception {
        long nftBefore = nftDropped();
        Map<String, Long> before = host.liveCounters();
        long t0 = System.nanoTime();
        String answer = TcpIt.upload(ns, 150, file);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Long> after = host.liveCounters();
        long rxDropped = get(after, "faults.rx_dropped") - get(before, "faults.rx_dropped");
        String summary = "upload " + ms + " ms; rx_dropped " + rxDropped + "; nft dropped " + (nftDropped() - nftBefore)
                + "; tcp: " + tcpSummary(before, after);
        assertEquals(SIZE + " " + TcpIt.sha256(file), answer, summary);
        // the kernel's segments were lost in the host's receive path and arrived again later
        assertTrue(rxDropped > 0, "the faulty link dropped nothing: " + summary);
        assertTrue(get(after, "tcp.out_of_order_segments") - get(before, "tcp.out_of_order_segments") > 0, summary);
        System.out.println("TcpLossIT " + summary);
    }

    @Test
    @Order(3)
    void hostStaysHealthy() {
        assertEquals(0, host.stop(), host.output());
        Map<String, Long> c = host.counters();
        assertEquals(0L, get(c, "link.internal_error"), c.toString());
    }

    /** The --trace-tcp file the host wrote: the download's loss recovery, event by event. */
    @Test
    @Order(4)
    void theTraceShowsTheDownloadsRecovery() throws Exception {
        Path trace = scratch.resolve("loss.trace");
        Matcher m = Pattern.compile("trace:\\s+(\\d+) records").matcher(host.output());
        assertTrue(m.find(), host.output());
        java.util.List<io.tapstack.tcp.TcpTraceFile.Connection> conns = io.tapstack.tcp.TcpTraceFile.read(trace);
        assertEquals(Long.parseLong(m.group(1)), conns.stream().mapToLong(io.tapstack.tcp.TcpTraceFile.Connection::count).sum(),
                "every record the host counted is in the file");
        // the download: the connection that sent the most
        io.tapstack.tcp.TcpTraceFile.Connection d = null;
        long best = -1;
        for (io.tapstack.tcp.TcpTraceFile.Connection c : conns) {
            long sent = 0;
            for (int i = 0; i < c.count(); i++) {
                if (c.event(i) == io.tapstack.tcp.TcpTrace.Event.SEND) {
                    sent += c.get(i, io.tapstack.tcp.TcpTrace.END) - c.get(i, io.tapstack.tcp.TcpTrace.SEQ);
                }
            }
            if (sent > best) {
                best = sent;
                d = c;
            }
        }
        assertTrue(d != null && best > SIZE, "the 20 MB were sent: " + best);
        assertTrue(d.endpoints().startsWith(HOST_IP + ":80 "), d.endpoints());
        Map<io.tapstack.tcp.TcpTrace.Event, Integer> n = new java.util.EnumMap<>(io.tapstack.tcp.TcpTrace.Event.class);
        for (int i = 0; i < d.count(); i++) {
            n.merge(d.event(i), 1, Integer::sum);
        }
        for (io.tapstack.tcp.TcpTrace.Event e : new io.tapstack.tcp.TcpTrace.Event[] {io.tapstack.tcp.TcpTrace.Event.ACK,
                io.tapstack.tcp.TcpTrace.Event.SACK, io.tapstack.tcp.TcpTrace.Event.RETRANSMIT,
                io.tapstack.tcp.TcpTrace.Event.RECOVERY_ENTER}) {
            assertTrue(n.getOrDefault(e, 0) > 0, e + " in " + n);
        }
        System.out.println("TcpLossIT trace of " + d.endpoints() + ": " + n);
        Path svg = scratch.resolve("loss.svg");
        assertEquals(0, io.tapstack.tools.Main.execute("trace", "--plot", svg.toString(), "--conn", Long.toString(d.id()),
                trace.toString()));
        String s = Files.readString(svg);
        assertTrue(s.startsWith("<svg") && s.contains("retransmitted"), s.substring(0, Math.min(200, s.length())));
    }

    static String tcpSummary(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder b = new StringBuilder();
        for (String k : new String[] {"retransmitted_segments", "fast_retransmits", "rto_timeouts", "recovery_episodes",
                "partial_acks", "dup_acks", "out_of_order_segments", "sack_blocks_sent", "sack_blocks_received"}) {
            b.append(k).append('=').append(get(after, "tcp." + k) - get(before, "tcp." + k)).append(' ');
        }
        b.append("faults.rx_dropped=").append(get(after, "faults.rx_dropped") - get(before, "faults.rx_dropped"));
        return b.toString();
    }
}
