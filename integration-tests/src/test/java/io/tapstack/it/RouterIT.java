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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two namespaces joined only through a tapstack router: A (10.1.0.2, tap0) — tapstack
 * (10.1.0.1 | 10.2.0.1, MTU 1280) — B (10.2.0.2, tap0 with MTU 1280). The router opens both TAPs
 * in a namespace of its own; then each TAP's kernel side moves into A and B (the open fd stays
 * attached), so the only path between A and B is the router. Linux's ping, traceroute,
 * tracepath, curl and iperf3 run in A and B.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouterIT {
    static Netns r;
    static Netns a;
    static Netns b;
    static Host router;

    @BeforeAll
    static void setUp() {
        r = Netns.create("rt", null);
        try {
            a = Netns.create("ra", null);
            b = Netns.create("rb", null);
            // the hosts' own TAPs are replaced by the router's
            a.ip("link", "del", a.tap);
            b.ip("link", "del", b.tap);
            r.ip("tuntap", "add", "dev", "tap1", "mode", "tap");
            r.ip("link", "set", "tap1", "up");
            router = Host.start(r, "--ipv4", "10.1.0.1/24", "--ipv6", "fd01::1/64", "--advertise", "fd01::/64",
                    "--tap", "tap1", "--ipv4", "10.2.0.1/24", "--ipv6", "fd02::1/64", "--advertise", "fd02::/64", "--mtu", "1280",
                    "--forward", "--route", "10.9.0.0/16", "via", "10.1.0.3");
            Sh.run(10, "ip", "-n", r.name, "link", "set", "tap0", "netns", a.name).ok();
            Sh.run(10, "ip", "-n", r.name, "link", "set", "tap1", "netns", b.name).ok();
            b.ip("link", "set", "tap1", "name", b.tap);
            a.ip("addr", "add", "10.1.0.2/24", "dev", a.tap);
            a.ip("addr", "add", "fd01::2/64", "dev", a.tap, "nodad");
            a.ip("link", "set", a.tap, "up");
            a.ip("route", "add", "default", "via", "10.1.0.1");
            b.ip("link", "set", b.tap, "mtu", "1280");
            b.ip("addr", "add", "10.2.0.2/24", "dev", b.tap);
            b.ip("addr", "add", "fd02::2/64", "dev", b.tap, "nodad");
            b.ip("link", "set", b.tap, "up");
            b.ip("route", "add", "default", "via", "10.2.0.1");
            // IPv6: the default route and a SLAAC address come from the router's advertisements
            for (Netns n : new Netns[] {a, b}) {
                for (int i = 0; i < 150 && !n.ip("-6", "route", "show", "default").out().contains("proto ra"); i++) {
                    Host.sleep(100);
                }
            }
        } catch (RuntimeException | AssertionError e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.stop();
        }
        for (Netns n : new Netns[] {a, b, r}) {
            if (n != null) {
                n.close();
            }
        }
    }

    @Test
    @Order(1)
    void readyLineNamesBothInterfacesAndStatShowsTheTable() {
        String ready = router.readyLine();
        assertTrue(ready.contains("tap=tap0") && ready.contains("tap=tap1") && ready.contains("forward=on"), ready);
        String routes = router.stat("--routes");
        assertTrue(routes.contains("10.1.0.0/24 dev tap0"), routes);
        assertTrue(routes.contains("10.2.0.0/24 dev tap1"), routes);
        assertTrue(routes.contains("10.9.0.0/16 via 10.1.0.3 dev tap0"), routes);
        assertTrue(routes.contains("fd02::/64 dev tap1"), routes);
    }

    @Test
    @Order(2)
    void advertisementsGiveEachSideASlaacAddressAndADefaultRoute() {
        for (Netns n : new Netns[] {a, b}) {
            String route = n.ip("-6", "route", "show", "default").out();
            assertTrue(route.contains("default via fe80::") && route.contains("proto ra"), n.name + ": " + route);
            String addr = n.ip("-6", "addr", "show", "dev", n.tap).out();
            assertTrue(addr.contains(n == a ? "inet6 fd01::" : "inet6 fd02::") && addr.contains("dynamic"), n.name + ": " + addr);
        }
        assertTrue(b.ip("-6", "addr", "show", "dev", b.tap).out().contains("fd02::"), "SLAAC in the advertised prefix");
    }

    @Test
    @Order(2)
    void ping6BothWays() {
        a.exec(20, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", "fd02::2").ok();
        b.exec(20, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", "fd01::2").ok();
        assertTrue(router.liveCounters().getOrDefault("ip6.forwarded", 0L) >= 12);
    }

    @Test
    @Order(2)
    void pingBothWays() {
        a.exec(20, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.2.0.2").ok();
        b.exec(20, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.1.0.2").ok();
        // the router's far address answers from the near side
        a.exec(20, "ping", "-c", "1", "-W", "3", "10.2.0.1").ok();
        Map<String, Long> c = router.liveCounters();
        assertTrue(c.getOrDefault("ip.forwarded", 0L) >= 12, c.toString());
    }

    @Test
    @Order(3)
    void tracerouteListsTheRouterThenTheHost() {
        traceroute("-4", "10.1.0.1", "10.2.0.2");
        assertTrue(router.liveCounters().getOrDefault("ip.fwd_drop_ttl_exceeded", 0L) >= 1);
        traceroute("-6", "fd01::1", "fd02::2");
        assertTrue(router.liveCounters().getOrDefault("ip6.fwd_drop_hop_limit", 0L) >= 1);
    }

    private static void traceroute(String family, String hop1, String dst) {
        String out = a.exec(60, "traceroute", family, "-n", "-q", "1", "-w", "3", "-m", "5", dst).ok().out();
        List<String> hops = new ArrayList<>();
        for (String l : out.split("\n")) {
            String t = l.trim();
            if (!t.isEmpty() && Character.isDigit(t.charAt(0))) {
                hops.add(t);
            }
        }
        assertEquals(2, hops.size(), out);
        assertTrue(hops.get(0).startsWith("1  " + hop1 + " "), "hop 1 is the router (its Time Exceeded):\n" + out);
        assertTrue(hops.get(1).startsWith("2  " + dst + " "), "hop 2 is B:\n" + out);
    }

    @Test
    @Order(4)
    void tracepathFindsThePathMtuOfTheSmallerSide() {
        String out = a.exec(60, "tracepath", "-4", "-n", "-m", "5", "10.2.0.2").out();
        assertTrue(out.contains("pmtu 1280"), "Fragmentation Needed with the next-hop MTU (RFC 1191):\n" + out);
        assertTrue(out.contains("10.1.0.1"), out);
        assertTrue(out.contains("reached"), out);
        assertTrue(router.liveCounters().getOrDefault("ip.fwd_drop_df_too_big", 0L) >= 1);
        out = a.exec(60, "tracepath", "-6", "-n", "-m", "5", "fd02::2").out();
        assertTrue(out.contains("pmtu 1280"), "Packet Too Big with the next link's MTU (RFC 4443 §3.2):\n" + out);
        assertTrue(out.contains("reached"), out);
        assertTrue(router.liveCounters().getOrDefault("ip6.fwd_drop_too_big", 0L) >= 1);
    }

    @Test
    @Order(5)
    void curlBothWays() throws Exception {
        curl(b, "10.2.0.2", a);
        curl(a, "10.1.0.2", b);
        curl(b, "fd02::2", a);
        curl(a, "fd01::2", b);
    }

    /** A python http.server in {@code server}'s namespace, fetched by curl from {@code client}'s. */
    private static void curl(Netns server, String addr, Netns client) throws Exception {
        Path dir = Files.createTempDirectory("router-it");
        byte[] body = new byte[200_000];
        new java.util.Random(3).nextBytes(body);
        Files.write(dir.resolve("f.bin"), body);
        List<String> cmd = new ArrayList<>(server.prefix());
        cmd.addAll(List.of("python3", "-m", "http.server", "--bind", addr, "--directory", dir.toString(), "8080"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Sh.Result res = null;
            for (int i = 0; i < 50; i++) { // the server binds within a few seconds
                res = client.exec(20, "curl", "-s", "-o", dir.resolve("got.bin").toString(), "-w", "%{http_code}",
                        "--max-time", "10", "http://" + (addr.contains(":") ? "[" + addr + "]" : addr) + ":8080/f.bin");
                if (res.exit() == 0) {
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals(0, res.exit(), res.toString());
            assertEquals("200", res.out().trim());
            assertTrue(java.util.Arrays.equals(body, Files.readAllBytes(dir.resolve("got.bin"))), "the body arrived intact");
        } finally {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Files.deleteIfExists(dir.resolve("f.bin"));
            Files.deleteIfExists(dir.resolve("got.bin"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    @Order(6)
    void iperf3BothWays() throws Exception {
        iperf3("10.2.0.2");
        iperf3("fd02::2");
    }

    private static void iperf3(String server) throws Exception {
        List<String> cmd = new ArrayList<>(b.prefix());
        cmd.addAll(List.of("iperf3", "-s", "-B", server, "-p", "5301"));
        Process srv = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Sh.Result up = null;
            for (int i = 0; i < 50; i++) {
                up = a.exec(30, "iperf3", "-c", server, "-p", "5301", "-t", "2", "-J");
                // the server may not listen yet: iperf3 -J can then exit 0 with an "error" in its JSON
                if (up.exit() == 0 && !up.out().contains("\"error\"")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertEquals(0, up.exit(), up.toString());
            assertTrue(received(up.out()) > 1_000_000, "A -> B moved data:\n" + up.out() + "\nrouter:\n" + router.stat(true));
            Sh.Result down = a.exec(30, "iperf3", "-c", server, "-p", "5301", "-t", "2", "-R", "-J");
            assertEquals(0, down.exit(), down.toString());
            assertTrue(received(down.out()) > 1_000_000, "B -> A moved data:\n" + down.out() + "\nrouter:\n" + router.stat(true));
        } finally {
            srv.destroy();
            if (!srv.waitFor(5, TimeUnit.SECONDS)) {
                srv.destroyForcibly();
            }
        }
    }

    /** bytes of end.sum_received in iperf3's JSON. */
    private static long received(String json) {
        int at = json.indexOf("\"sum_received\"");
        int bytes = json.indexOf("\"bytes\":", at);
        if (at < 0 || bytes < 0) {
            return -1;
        }
        String s = json.substring(bytes + 8).trim();
        return (long) Double.parseDouble(s.substring(0, s.indexOf(',')).trim());
    }

    @Test
    @Order(7)
    void redirectWhenTheRouteLeavesByTheIncomingLink() throws Exception {
        // 10.9.0.0/16 via 10.1.0.3: a gateway on A's own link, so the router tells A to go there itself
        a.ip("addr", "add", "10.1.0.3/24", "dev", a.tap);
        Path file = Files.createTempFile("router-redirect", ".pcap");
        Host.Capture cap = Host.Capture.start(a, file);
        try {
            a.exec(10, "ping", "-c", "1", "-W", "1", "10.9.0.1");
        } finally {
            cap.stop();
        }
        String dump = Sh.run(20, "tcpdump", "-n", "-r", file.toString(), "icmp").out();
        Files.deleteIfExists(file);
        assertTrue(dump.contains("10.1.0.1 > 10.1.0.2: ICMP redirect 10.9.0.1 to host 10.1.0.3"), dump);
        assertTrue(router.liveCounters().getOrDefault("ip.fwd_redirect_sent", 0L) >= 1);
    }
}
