package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Linux against the Java host over a TAP (issue #2): ping, ARP, fragmentation, malformed input,
 * checksums of everything the host sends.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv4HostIT {
    static final String HOST_IP = "10.0.0.2";
    static final String KERNEL_IP = "10.0.0.1";
    static final String HOST_MAC = "02:00:00:00:00:02";
    static Netns ns;
    static Host host;
    static Host.Capture capture;

    @BeforeAll
    static void up() throws Exception {
        ns = Netns.create("ip4", KERNEL_IP + "/24");
        capture = Host.Capture.start(ns, Files.createTempFile("ip4", ".pcap"));
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--mac", HOST_MAC);
    }

    @AfterAll
    static void down() {
        try {
            if (host != null) {
                host.stop();
            }
            if (capture != null) {
                capture.stop();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    static int loss(String pingOut) {
        Matcher m = Pattern.compile("(\\d+)% packet loss").matcher(pingOut);
        assertTrue(m.find(), "no ping summary in:\n" + pingOut);
        return Integer.parseInt(m.group(1));
    }

    @Test
    @Order(1)
    void readyLineNamesTapMacAndAddress() {
        assertTrue(host.readyLine().contains("tap=tap0"), host.readyLine());
        assertTrue(host.readyLine().contains("mac=" + HOST_MAC), host.readyLine());
        assertTrue(host.readyLine().contains("ipv4=" + HOST_IP + "/24"), host.readyLine());
    }

    @Test
    @Order(2)
    void fiftyFastPingsNoLoss() {
        Sh.Result r = ns.exec(30, "ping", "-c", "50", "-i", "0.01", "-W", "2", HOST_IP);
        assertEquals(0, loss(r.out()), r.out());
        assertEquals(0, r.exit(), r.out());
    }

    @ParameterizedTest(name = "ping -s {0}")
    @ValueSource(ints = {0, 56, 1472, 4000})
    @Order(3)
    void pingSizes(int size) {
        Sh.Result r = ns.exec(30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", String.valueOf(size), HOST_IP);
        assertEquals(0, loss(r.out()), r.out());
        // the reply carries the whole payload back: ICMP header (8) + data
        assertTrue(r.out().contains((size + 8) + " bytes from " + HOST_IP), r.out());
    }

    @Test
    @Order(4)
    void arpingGetsTheHostsMac() {
        Sh.Result r = ns.exec(20, "arping", "-c", "3", "-w", "5", "-I", ns.tap, HOST_IP);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().toLowerCase().contains(HOST_MAC), r.out());
        // iputils arping says "Received 3 response(s)", Habets' arping "3 packets received"
        assertTrue(r.out().contains("Received 3 response") || r.out().contains("3 packets received"), r.out());
    }

    @Test
    @Order(5)
    void kernelNeighbourEntryCarriesHostMac() {
        ns.exec(10, "ping", "-c", "1", "-W", "2", HOST_IP);
        String neigh = ns.ip("neigh", "show", HOST_IP, "dev", ns.tap).out();
        assertTrue(neigh.contains("lladdr " + HOST_MAC), neigh);
    }

    @Test
    @Order(6)
    void unknownProtocolGetsProtocolUnreachable() throws Exception {
        Sh.Result r = ns.exec(20, "/usr/bin/python3", script().toString(), "protounreach", HOST_IP);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("icmp type 3 code 2 quoted-proto 253"), r.out());
    }

    @Test
    @Order(7)
    void malformedBurstIsDroppedAndHostStaysUp() throws Exception {
        Sh.Result r = ns.exec(60, "/usr/bin/python3", script().toString(), "malformed", ns.tap, HOST_MAC, HOST_IP, KERNEL_IP);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(host.isAlive(), "host died:\n" + host.output());
        Sh.Result p = ns.exec(20, "ping", "-c", "5", "-i", "0.1", "-W", "2", HOST_IP);
        assertEquals(0, loss(p.out()), p.out());
        // the running host's counters, through its control socket (tapstack stat)
        Map<String, Long> live = host.liveCounters();
        assertTrue(live.getOrDefault("ip.drop_bad_checksum", 0L) >= 20, live.toString());
        assertTrue(live.getOrDefault("arp.drop_bad_hlen", 0L) >= 20, live.toString());
    }

    @Test
    @Order(100)
    void everyFrameTheHostSentHasValidChecksumsAndCountersShowTheDrops() throws Exception {
        assertEquals(0, host.stop(), "host exit code after SIGTERM; output:\n" + host.output());
        Map<String, Long> c = host.counters();
        String all = c.toString();
        for (String k : new String[] {"ip.drop_bad_checksum", "ip.drop_bad_ihl", "ip.drop_truncated",
                "ip.drop_bad_total_length", "ip.drop_bad_version", "ip.drop_bad_src_address",
                "icmp.drop_bad_checksum", "arp.drop_bad_hlen", "arp.drop_bad_plen", "arp.drop_truncated",
                "arp.drop_bad_operation"}) {
            assertTrue(c.getOrDefault(k, 0L) >= 20, k + " should count the 20 malformed frames: " + all);
        }
        assertTrue(c.getOrDefault("ip.drop_frag_overlap", 0L) >= 1, all);
        assertTrue(c.getOrDefault("ip.drop_frag_oversize", 0L) >= 1, all);
        assertTrue(c.getOrDefault("ip.reassembled", 0L) >= 3, "4000-byte pings reassembled: " + all);
        assertTrue(c.getOrDefault("ip.tx_fragments_created", 0L) >= 9, all);
        assertEquals(0L, c.getOrDefault("link.internal_error", 0L), all);

        Path pcap = capture.stop();
        // tshark verifies IPv4 and ICMP checksums of each frame the host sent.
        Sh.Result total = Sh.run(60, "tshark", "-n", "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
                "-Y", "eth.src == " + HOST_MAC + " && ip").ok();
        long sent = total.out().lines().count();
        assertTrue(sent >= 60, "expected the host's replies in the capture, got " + sent + "\n" + total.err());
        Sh.Result bad = Sh.run(60, "tshark", "-n", "-r", pcap.toString(), "-o", "ip.check_checksum:TRUE",
                "-Y", "eth.src == " + HOST_MAC + " && (ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\""
                        + " || _ws.malformed || _ws.expert.severity == error)").ok();
        assertEquals("", bad.out().trim(), "frames from the host with bad checksums or malformed:\n" + bad.out() + bad.err());
        Files.deleteIfExists(pcap);
    }

    static Path script() throws Exception {
        Path p = Path.of(Ipv4HostIT.class.getResource("/frames.py").toURI());
        return p;
    }
}
