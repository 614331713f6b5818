package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host on a LAN run by dnsmasq (issue 16): dnsmasq on the kernel side of the TAP serves
 * DHCP (a 2-minute lease, dnsmasq's shortest, with T1 = 20 s so that renewal happens within the
 * test) and DNS (host records, an NXDOMAIN zone, and a name with 60 addresses whose UDP answer is
 * truncated, so the resolver must repeat it over TCP). The host takes its lease, answers ping on
 * it, renews; {@code tapstack resolve} and {@code tapstack get http://name/} use the DNS server
 * that DHCP named. The TAP has one user at a time, so the host processes run one after another.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DhcpDnsIT {
    static final String KERNEL_IP = "10.0.0.1";
    static final int HTTP_PORT = 8080;
    static Netns ns;
    static Path dir;
    static TcpIt.Child dnsmasq;

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("tsit-dhcp");
        ns = Netns.create("dhcp", KERNEL_IP + "/24");
        String exe = Sh.run(5, "sh", "-c", "command -v dnsmasq || ls /usr/sbin/dnsmasq").out().strip();
        assertTrue(!exe.isEmpty(), "dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)");
        StringBuilder hosts = new StringBuilder();
        for (int i = 1; i <= 60; i++) {
            hosts.append("10.0.1.").append(i).append(" big.tapstack.test\n");
        }
        Files.writeString(dir.resolve("hosts"), hosts);
        TcpIt.randomFile(dir, "file.bin", 300_000, 16);
        dnsmasq = new TcpIt.Child(ns, List.of(exe.lines().findFirst().orElseThrow(), "--no-daemon", "--conf-file=/dev/null",
                "--user=root", "--group=root", "--interface=" + ns.tap, "--bind-interfaces",
                "--no-resolv", "--no-hosts", "--addn-hosts=" + dir.resolve("hosts"), "--local=/tapstack.test/",
                "--host-record=files.tapstack.test," + KERNEL_IP + ",fd00::1",
                "--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m",
                "--dhcp-option=option:router," + KERNEL_IP, "--dhcp-option=option:dns-server," + KERNEL_IP,
                "--dhcp-option=option:T1,20", "--dhcp-option=option:T2,40",
                "--dhcp-leasefile=" + dir.resolve("leases"), "--log-dhcp", "--log-queries"));
        for (int i = 0; i < 100 && !dnsmasq.log().contains("DHCP, sockets bound"); i++) {
            assertTrue(dnsmasq.process.isAlive(), "dnsmasq died: " + dnsmasq.log());
            Host.sleep(100);
        }
        assertTrue(dnsmasq.log().contains("DHCP, sockets bound"), "dnsmasq not ready: " + dnsmasq.log());
    }

    @AfterAll
    static void down() {
        try {
            if (dnsmasq != null) {
                dnsmasq.close();
            }
        } finally {
            try {
                if (ns != null) {
                    ns.close();
                }
            } finally {
                TcpIt.deleteTree(dir);
            }
        }
    }

    static String field(String line, String name) {
        Matcher m = Pattern.compile(" " + name + "=(\\S+)").matcher(line);
        assertTrue(m.find(), name + "= in: " + line);
        return m.group(1);
    }

    /** One command of the tapstack jar in the namespace, bounded. */
    static Sh.Result tapstack(long timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", Host.jar().toString()));
        cmd.addAll(List.of(args));
        return ns.exec(timeoutSeconds, cmd.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void takesALeaseAnswersPingAndRenews() {
        try (Host h = Host.start(ns, "--ipv4", "dhcp", "--no-ipv6")) {
            String ready = h.readyLine();
            String addr = field(ready, "ipv4");
            assertTrue(addr.matches("10\\.0\\.0\\.(5\\d|60)/24"), ready);
            assertEquals(KERNEL_IP, field(ready, "gateway"), ready);
            assertEquals(KERNEL_IP, field(ready, "dhcp"), ready);
            assertEquals("120s", field(ready, "lease"), ready);
            assertEquals(KERNEL_IP, field(ready, "dns"), ready);
            String ip = addr.substring(0, addr.indexOf('/'));
            Sh.Result ping = ns.exec(20, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip);
            assertEquals(0, ping.exit(), ping.out() + ping.err());
            assertTrue(ping.out().contains(" 0% packet loss"), ping.out());
            // the kernel learnt our MAC from the gratuitous ARP or the ping: an entry exists
            assertTrue(ns.exec(5, "ip", "neigh", "show", ip).out().contains("lladdr"));
            String stat = h.stat(false);
            assertTrue(stat.contains("state BOUND"), stat);
            // T1 = 20 s after the REQUEST: wait (bounded) for the renewal, unicast to dnsmasq
            long deadline = System.nanoTime() + 40_000_000_000L;
            Map<String, Long> c = h.liveCounters();
            while (c.getOrDefault("dhcp.renewed", 0L) < 1 && System.nanoTime() < deadline) {
                Host.sleep(1000);
                c = h.liveCounters();
            }
            assertEquals(1L, c.getOrDefault("dhcp.leases", 0L), c.toString());
            assertTrue(c.getOrDefault("dhcp.renewed", 0L) >= 1, "no renewal within 40 s: " + c + "\n" + dnsmasq.log());
            assertTrue(h.stat(false).contains("state BOUND"));
            long acks = dnsmasq.log().lines().filter(l -> l.contains("DHCPACK(" + ns.tap + ") " + ip)).count();
            assertTrue(acks >= 2, "dnsmasq acked the first REQUEST and the renewal:\n" + dnsmasq.log());
            assertTrue(c.getOrDefault("arp.probe_sent", 0L) >= 3, c.toString()); // RFC 5227 before use
            // still reachable on the renewed lease
            Sh.Result again = ns.exec(20, "ping", "-c", "2", "-i", "0.2", "-W", "2", ip);
            assertEquals(0, again.exit(), again.out());
            assertEquals(0, h.stop());
        }
    }

    @Test
    @Order(2)
    void resolvesAAndAaaaThroughTheServerDhcpNamed() {
        Sh.Result r = tapstack(60, "resolve", "--tap", ns.tap, "--ipv4", "dhcp", "--no-ipv6", "files.tapstack.test");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals(List.of(KERNEL_IP, "fd00::1"), r.out().lines().toList());
        Sh.Result nx = tapstack(60, "resolve", "--tap", ns.tap, "--ipv4", "dhcp", "--no-ipv6", "nope.tapstack.test");
        assertEquals(1, nx.exit(), nx.out() + nx.err());
        assertTrue(nx.err().contains("no such name"), nx.err());
    }

    @Test
    @Order(3)
    void truncatedAnswerIsFetchedOverTcp() {
        // --dns as well as DHCP's server: the static one is asked first (the same dnsmasq here)
        Sh.Result r = tapstack(60, "resolve", "--tap", ns.tap, "--ipv4", "dhcp", "--no-ipv6", "--dns", KERNEL_IP, "big.tapstack.test");
        assertEquals(0, r.exit(), r.out() + r.err());
        List<String> addrs = r.out().lines().toList();
        assertEquals(60, addrs.size(), "60 A records only fit in a TCP answer: " + r.out());
        for (int i = 1; i <= 60; i++) {
            assertTrue(addrs.contains("10.0.1." + i), "10.0.1." + i);
        }
    }

    @Test
    @Order(4)
    void getFetchesByName() throws Exception {
        Path got = dir.resolve("file.got");
        try (TcpIt.Child server = new TcpIt.Child(ns, List.of("/usr/bin/python3", "-m", "http.server", String.valueOf(HTTP_PORT),
                "--bind", KERNEL_IP, "--directory", dir.toString()))) {
            TcpIt.awaitListening(ns, server, KERNEL_IP, HTTP_PORT);
            Sh.Result r = tapstack(90, "get", "--tap", ns.tap, "--ipv4", "dhcp", "--no-ipv6", "--timeout", "30",
                    "http://files.tapstack.test:" + HTTP_PORT + "/file.bin", "-o", got.toString());
            assertEquals(0, r.exit(), r.out() + r.err() + "\nserver: " + server.log() + "\ndnsmasq: " + dnsmasq.log());
            assertTrue(server.log().contains("\"GET /file.bin HTTP/1.1\" 200"), server.log());
        }
        TcpIt.assertSameBytes(dir.resolve("file.bin"), got);
    }
}
