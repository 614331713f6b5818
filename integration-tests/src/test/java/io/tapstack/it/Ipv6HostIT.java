package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Linux against the Java host over IPv6 (issue #4) and UDP (issue #3): ping6 to the global and
 * link-local addresses, neighbour discovery, DAD refusing a duplicate, SLAAC from radvd, UDP echo
 * and port unreachable over both IP versions, malformed IPv6 input, checksums of every frame the
 * host sent. Each namespace (main, DAD, SLAAC) is the test's own and is deleted afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Ipv6HostIT {
    static final String HOST_IP6 = "fd00::2";
    static final String KERNEL_IP6 = "fd00::1";
    static final String HOST_IP4 = "10.0.0.2";
    static final String KERNEL_IP4 = "10.0.0.1";
    static final String HOST_MAC = "02:00:00:00:00:06";
    static Netns ns;
    static Host host;
    static Host.Capture capture;
    static String linkLocal;

    @BeforeAll
    static void up() throws Exception {
        ns = Netns.create("ip6", KERNEL_IP4 + "/24");
        // nodad: the kernel side's address is usable at once (no carrier until the host attaches)
        ns.ip("addr", "add", KERNEL_IP6 + "/64", "dev", ns.tap, "nodad");
        capture = Host.Capture.start(ns, Files.createTempFile("ip6", ".pcap"));
        // --offload none: this class checks every checksum on the wire in the kernel-side capture;
        // with checksum offload the capture sees partial checksums the kernel completes later
        // (and the quoted datagram in an ICMPv6 error carries the kernel's partial checksum)
        host = Host.start(ns, "--ipv4", HOST_IP4 + "/24", "--ipv6", HOST_IP6 + "/64", "--mac", HOST_MAC,
                "--services", "udp-echo", "--offload", "none");
        Matcher m = Pattern.compile("ipv6=\\S*?(fe80::[0-9a-f:]+)/64").matcher(host.readyLine());
        linkLocal = m.find() ? m.group(1) : null;
    }

    @AfterAll
    static void down() {
        try {
            if (host != null) {
                host.stop();
            }
            if (capture != null) {
                Path f = capture.stop();
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    static int loss(String pingOut) {
        return Ipv4HostIT.loss(pingOut);
    }

    static Path script() throws Exception {
        return Path.of(Ipv6HostIT.class.getResource("/frames6.py").toURI());
    }

    @Test
    @Order(1)
    void readyLineAndStatListTheLinkLocalAndGlobalAddresses() {
        assertNotNull(linkLocal, "no link-local address in the ready line: " + host.readyLine());
        assertTrue(host.readyLine().contains(HOST_IP6 + "/64"), host.readyLine());
        String addr = host.stat("--addr");
        assertTrue(addr.contains("inet6 " + HOST_IP6 + "/64 static preferred"), addr);
        assertTrue(addr.contains("inet6 " + linkLocal + "/64 link_local preferred"), addr);
    }

    @ParameterizedTest(name = "ping -6 {0} -s {1}")
    @CsvSource({"global,0", "global,56", "global,1452", "global,3000",
            "link-local,0", "link-local,56", "link-local,1452", "link-local,3000"})
    @Order(2)
    void ping6Sizes(String which, int size) {
        String target = which.equals("global") ? HOST_IP6 : linkLocal + "%" + ns.tap;
        Sh.Result r = ns.exec(30, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "-s", String.valueOf(size), target);
        assertEquals(0, loss(r.out()), r.out() + r.err());
        // the reply carries the whole payload back: ICMPv6 header (8) + data (3000: in fragments both ways)
        assertTrue(r.out().contains((size + 8) + " bytes from " + target), r.out());
    }

    @Test
    @Order(3)
    void kernelNeighbourEntryBecomesReachableWithTheHostsMac() {
        String neigh = "";
        // bounded: an entry that went STALE is probed again (DELAY 5 s, then a unicast NS)
        for (int i = 0; i < 16; i++) {
            Sh.Result p = ns.exec(10, "ping", "-6", "-c", "1", "-W", "2", HOST_IP6);
            assertEquals(0, p.exit(), p.out());
            neigh = ns.ip("-6", "neigh", "show", HOST_IP6, "dev", ns.tap).out();
            if (neigh.contains("REACHABLE")) {
                break;
            }
            Host.sleep(500);
        }
        assertTrue(neigh.contains("lladdr " + HOST_MAC), neigh);
        assertTrue(neigh.contains("REACHABLE"), neigh);
    }

    @Test
    @Order(4)
    void udpEchoOverIpv6AndIpv4WithNetcat() {
        Sh.Result r6 = ns.exec(10, "sh", "-c", "printf 'hello over ipv6\\n' | nc -6 -u -w 1 " + HOST_IP6 + " 7");
        assertEquals("hello over ipv6", r6.out().trim(), r6.out() + r6.err());
        Sh.Result r4 = ns.exec(10, "sh", "-c", "printf 'hello over ipv4\\n' | nc -4 -u -w 1 " + HOST_IP4 + " 7");
        assertEquals("hello over ipv4", r4.out().trim(), r4.out() + r4.err());
    }

    @Test
    @Order(5)
    void udpToAClosedPortIsRefusedWithPortUnreachable() throws Exception {
        Map<String, Long> before = host.liveCounters();
        Sh.Result r6 = ns.exec(15, "/usr/bin/python3", script().toString(), "udpclosed", HOST_IP6, "9");
        assertEquals("udp refused", r6.out().trim(), r6.out() + r6.err());
        Sh.Result r4 = ns.exec(15, "/usr/bin/python3", script().toString(), "udpclosed", HOST_IP4, "9");
        assertEquals("udp refused", r4.out().trim(), r4.out() + r4.err());
        Map<String, Long> after = host.liveCounters();
        assertTrue(delta(before, after, "udp.drop_no_port") >= 2, after.toString());
        assertTrue(delta(before, after, "icmp6.tx_dest_unreachable") >= 1, after.toString());
        assertTrue(delta(before, after, "icmp.tx_dest_unreachable") >= 1, after.toString());
    }

    static long delta(Map<String, Long> before, Map<String, Long> after, String k) {
        return after.getOrDefault(k, 0L) - before.getOrDefault(k, 0L);
    }

    @Test
    @Order(6)
    void malformedIpv6IsHandledAsTheRfcsSayAndTheHostStaysUp() throws Exception {
        Sh.Result r = ns.exec(60, "/usr/bin/python3", script().toString(), "malformed", ns.tap, HOST_MAC,
                HOST_IP6, KERNEL_IP6);
        String out = r.out();
        String why = out + r.err();
        // RFC 8200 §3: a payload length beyond the packet is dropped without an answer
        assertTrue(out.contains("bad_payload_length sent 20 echo_reply 0"), why);
        // RFC 8200 §4 / RFC 4443 §3.4: Parameter Problem code 1 at the Next Header field
        assertTrue(out.contains("unknown_next_header param_problem code 1 pointer 6"), why);
        // RFC 8200 §4.2: action bits 10 → discard, Parameter Problem code 2 at the option type
        assertTrue(out.contains("dest_option_action_10 param_problem code 2 pointer 42 echo_reply 0"), why);
        // RFC 4861 §7.1.1: an NS whose hop limit is not 255 is ignored (the control with 255 is answered)
        assertTrue(out.contains("ns_hop_limit_64 sent 5 na 0 control_hop_limit_255 na 1"), why);
        // RFC 5722: overlapping fragments discard the datagram (clean fragments are reassembled)
        assertTrue(out.contains("frag_overlap echo_reply 0 control_clean_fragments echo_reply 1"), why);
        assertEquals(0, r.exit(), why);
        assertTrue(host.isAlive(), "host died:\n" + host.output());

        Sh.Result p = ns.exec(20, "ping", "-6", "-c", "5", "-i", "0.1", "-W", "2", HOST_IP6);
        assertEquals(0, loss(p.out()), p.out());
        Map<String, Long> live = host.liveCounters();
        String all = live.toString();
        assertTrue(live.getOrDefault("ip6.drop_bad_payload_length", 0L) >= 20, all);
        assertTrue(live.getOrDefault("ip6.drop_unknown_next_header", 0L) >= 1, all);
        assertTrue(live.getOrDefault("ip6.drop_unknown_option", 0L) >= 1, all);
        assertTrue(live.getOrDefault("ip6.drop_frag_overlap", 0L) >= 1, all);
        assertTrue(live.getOrDefault("ndp.drop_bad_hop_limit", 0L) >= 5, all);
        assertTrue(live.getOrDefault("icmp6.tx_parameter_problem", 0L) >= 2, all);
    }

    @Test
    @Order(7)
    void dadRefusesAnAddressTheKernelAlreadyOwns() throws Exception {
        String dup = "fd00::3";
        String dupMac = "02:00:00:00:00:07";
        try (Netns dns = Netns.create("dad", null)) {
            dns.ip("addr", "add", "fd00::1/64", "dev", dns.tap, "nodad");
            // the kernel owns the address (nodad: at once), so it answers the host's DAD probe
            dns.ip("addr", "add", dup + "/64", "dev", dns.tap, "nodad");
            try (Host h = Host.start(dns, "--ipv6", dup + "/64", "--mac", dupMac)) {
                assertFalse(h.readyLine().contains(dup), "duplicate address in the ready line: " + h.readyLine());
                Matcher m = Pattern.compile("ipv6=\\S*?(fe80::[0-9a-f:]+)/64").matcher(h.readyLine());
                assertTrue(m.find(), h.readyLine());
                String addr = h.stat("--addr");
                assertTrue(addr.contains("inet6 " + dup + "/64 static duplicate"), addr);
                // an echo request sent to the host's MAC for the refused address gets no answer,
                // while its link-local answers the same request
                Sh.Result e = dns.exec(20, "/usr/bin/python3", script().toString(), "echo", dns.tap, dupMac, "fd00::1", dup);
                assertEquals("echo reply 0", e.out().trim(), e.out() + e.err());
                Sh.Result ll = dns.exec(20, "/usr/bin/python3", script().toString(), "echo", dns.tap, dupMac,
                        kernelLinkLocal(dns), m.group(1));
                assertEquals("echo reply 1", ll.out().trim(), ll.out() + ll.err());
                // Linux's ping of the address is answered by the kernel itself, never by the host
                Sh.Result p = dns.exec(10, "ping", "-6", "-c", "1", "-W", "2", dup);
                assertEquals(0, loss(p.out()), p.out());
                Map<String, Long> c = h.liveCounters();
                assertTrue(c.getOrDefault("ndp.dad_duplicate", 0L) >= 1, c.toString());
                assertEquals(1L, c.getOrDefault("icmp6.tx_echo_reply", 0L), "only the link-local echo is answered: " + c);
            }
        }
    }

    static String kernelLinkLocal(Netns n) {
        for (int i = 0; i < 50; i++) {
            String out = n.ip("-6", "addr", "show", "dev", n.tap, "scope", "link").out();
            Matcher m = Pattern.compile("inet6 (fe80::[0-9a-f:]+)/64 scope link\\s*\\n").matcher(out);
            if (m.find()) {
                return m.group(1);
            }
            Host.sleep(100); // the kernel's own link-local is tentative for about a second
        }
        throw new AssertionError("the kernel side never got a usable link-local address");
    }

    @Test
    @Order(8)
    void slaacFromRadvdGivesAnAddressLinuxCanPingAndADefaultRouter() throws Exception {
        Path dir = Files.createTempDirectory("tapstack-radvd");
        Process radvd = null;
        try (Netns sns = Netns.create("slaac", null)) {
            // the kernel side is the router: an address in the advertised prefix, forwarding on
            // (both inside this namespace only)
            sns.ip("addr", "add", "fd00:1::1/64", "dev", sns.tap, "nodad");
            sns.exec(5, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1").ok();
            Path conf = dir.resolve("radvd.conf");
            Files.writeString(conf, "interface " + sns.tap + " {\n"
                    + "  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  AdvDefaultLifetime 600;\n"
                    + "  prefix fd00:1::/64 {\n    AdvOnLink on;\n    AdvAutonomous on;\n  };\n};\n");
            try (Host h = Host.start(sns, "--ipv6", "auto")) {
                List<String> cmd = new ArrayList<>(sns.prefix());
                cmd.addAll(List.of("radvd", "-n", "-C", conf.toString(), "-p", dir.resolve("radvd.pid").toString(),
                        "-m", "stderr"));
                radvd = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("radvd.log").toFile()).start();
                Pattern slaac = Pattern.compile("inet6 (fd00:1:0:0:[0-9a-f:]+|fd00:1::[0-9a-f:]+)/64 slaac preferred");
                String addr = "";
                String got = null;
                for (int i = 0; i < 60 && got == null; i++) { // bounded: 15 s
                    addr = h.stat("--addr");
                    Matcher m = slaac.matcher(addr);
                    if (m.find()) {
                        got = m.group(1);
                    } else {
                        assertTrue(radvd.isAlive(), "radvd exited: " + Files.readString(dir.resolve("radvd.log")));
                        Host.sleep(250);
                    }
                }
                assertNotNull(got, "no SLAAC address in fd00:1::/64 within 15 s:\n" + addr
                        + "\nradvd: " + Files.readString(dir.resolve("radvd.log")));
                Sh.Result p = sns.exec(20, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", got);
                assertEquals(0, loss(p.out()), p.out());
                String neigh = h.stat("--neigh");
                assertTrue(neigh.lines().anyMatch(l -> l.startsWith("fe80::") && l.endsWith(" router")),
                        "the router's link-local should be a neighbour marked router:\n" + neigh);
                Map<String, Long> c = h.liveCounters();
                assertTrue(c.getOrDefault("ndp.rx_ra", 0L) >= 1, c.toString());
                assertTrue(c.getOrDefault("ndp.routers_added", 0L) >= 1, c.toString());
                assertTrue(c.getOrDefault("ndp.slaac_addresses", 0L) >= 1, c.toString());
            } finally {
                if (radvd != null) {
                    radvd.destroy(); // SIGTERM to radvd's own PID
                    if (!radvd.waitFor(5, TimeUnit.SECONDS)) {
                        radvd.destroyForcibly();
                        radvd.waitFor(5, TimeUnit.SECONDS);
                    }
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Test
    @Order(100)
    void everyFrameTheHostSentHasValidChecksumsAndCountersShowTheDrops() throws Exception {
        assertEquals(0, host.stop(), "host exit code after SIGTERM; output:\n" + host.output());
        Map<String, Long> c = host.counters();
        String all = c.toString();
        for (String k : new String[] {"ip6.drop_bad_payload_length", "ip6.drop_unknown_next_header",
                "ip6.drop_unknown_option", "ip6.drop_frag_overlap", "ndp.drop_bad_hop_limit", "udp.drop_no_port"}) {
            assertTrue(c.getOrDefault(k, 0L) >= 1, k + " should count what the test provoked: " + all);
        }
        assertTrue(c.getOrDefault("ip6.reassembled", 0L) >= 6, "3000-byte pings reassembled: " + all);
        assertTrue(c.getOrDefault("ip6.tx_fragments_created", 0L) >= 12, "3000-byte replies fragmented: " + all);
        assertTrue(c.getOrDefault("udp.rx_delivered", 0L) >= 2, all);
        assertEquals(0L, c.getOrDefault("link.internal_error", 0L), all);

        Path pcap = capture.stop();
        String[] opts = {"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"};
        List<String> base = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString()));
        base.addAll(List.of(opts));
        List<String> total = new ArrayList<>(base);
        total.addAll(List.of("-Y", "eth.src == " + HOST_MAC + " && (ipv6 || ip)"));
        Sh.Result t = Sh.run(60, total).ok();
        long sent = t.out().lines().count();
        assertTrue(sent >= 50, "expected the host's IPv6 and IPv4 frames in the capture, got " + sent + "\n" + t.err());
        List<String> badQ = new ArrayList<>(base);
        badQ.addAll(List.of("-Y", "eth.src == " + HOST_MAC + " && (icmpv6.checksum.status == \"Bad\""
                + " || udp.checksum.status == \"Bad\" || ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\""
                + " || _ws.malformed || _ws.expert.severity == error)"));
        Sh.Result bad = Sh.run(60, badQ).ok();
        assertEquals("", bad.out().trim(), "frames from the host with bad checksums or malformed:\n" + bad.out() + bad.err());
        // the checksum fields were really checked: some good ones of each kind
        List<String> goodQ = new ArrayList<>(base);
        goodQ.addAll(List.of("-Y", "eth.src == " + HOST_MAC + " && udp.checksum.status == \"Good\""));
        assertTrue(Sh.run(60, goodQ).ok().out().lines().count() >= 2, "no UDP checksum was verified");
        goodQ.set(goodQ.size() - 1, "eth.src == " + HOST_MAC + " && icmpv6.checksum.status == \"Good\"");
        assertTrue(Sh.run(60, goodQ).ok().out().lines().count() >= 30, "too few ICMPv6 checksums verified");
        Files.deleteIfExists(pcap);
    }
}
