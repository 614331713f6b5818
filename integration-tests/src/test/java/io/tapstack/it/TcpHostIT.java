package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.curl;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Linux as a client of the Java host's TCP and UDP services over a TAP: curl against the http
 * service (GET, HEAD, 404, 405, index, a 1 MB round trip, 200 concurrent clients), nc against echo
 * and discard, closed ports (ICMP port unreachable, RST), and a tshark check of the checksums of
 * every frame the host sent meanwhile. Bulk transfers are in {@link TcpBulkIT}, loss in
 * {@link TcpLossIT}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpHostIT {
    static final String HOST_MAC = "02:00:00:00:00:02";
    static final String HELLO = "hello from the http root\n";
    static Netns ns;
    static Host host;
    static Host.Capture capture;
    static Path root;
    static Path scratch;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-tcp-root");
        scratch = Files.createTempDirectory("tsit-tcp-scratch");
        Files.writeString(root.resolve("hello.txt"), HELLO);
        Files.writeString(root.resolve("page.html"), "<!doctype html><title>t</title><p>page</p>\n");
        TcpIt.randomFile(root, "one-mb.bin", 1 << 20, 11);
        ns = Netns.create("tcp", KERNEL_IP + "/24");
        capture = Host.Capture.start(ns, scratch.resolve("tcp.pcap"));
        // --offload none: this class counts wire-sized segments and checks every checksum in the
        // kernel-side capture, which with TSO and checksum offload sees 64 KB frames with partial
        // checksums (OffloadMatrixIT covers the offload paths)
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--mac", HOST_MAC, "--no-ipv6",
                "--services", "echo,discard,http", "--http-root", root.toString(), "--offload", "none");
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
            TcpIt.deleteTree(root);
            TcpIt.deleteTree(scratch);
        }
    }

    /** Header value of {@code name} in a curl {@code -D} dump, or null. */
    static String header(String headers, String name) {
        for (String l : headers.split("\r?\n")) {
            int c = l.indexOf(':');
            if (c > 0 && l.substring(0, c).trim().equalsIgnoreCase(name)) {
                return l.substring(c + 1).trim();
            }
        }
        return null;
    }

    static String statusLine(String headers) {
        return headers.lines().findFirst().orElse("").trim();
    }

    @Test
    @Order(1)
    void curlGetOfAFileUnderTheRoot() throws Exception {
        Path hdr = scratch.resolve("get.hdr");
        Path body = scratch.resolve("get.body");
        curl(ns, 10, "-D", hdr.toString(), "-o", body.toString(), "http://" + HOST_IP + "/hello.txt").ok();
        String h = Files.readString(hdr);
        assertEquals("HTTP/1.1 200 OK", statusLine(h), h);
        assertEquals(String.valueOf(HELLO.length()), header(h, "Content-Length"), h);
        assertTrue(header(h, "Content-Type").startsWith("text/plain"), h);
        assertEquals(HELLO, Files.readString(body));

        curl(ns, 10, "-D", hdr.toString(), "-o", body.toString(), "http://" + HOST_IP + "/page.html").ok();
        h = Files.readString(hdr);
        assertEquals("HTTP/1.1 200 OK", statusLine(h), h);
        assertTrue(header(h, "Content-Type").startsWith("text/html"), h);
        TcpIt.assertSameBytes(root.resolve("page.html"), body);
    }

    @Test
    @Order(2)
    void curlHeadGivesTheHeadersOfGetAndNoBody() throws Exception {
        Path hdr = scratch.resolve("head.hdr");
        Path body = scratch.resolve("head.body");
        curl(ns, 10, "-I", "-D", hdr.toString(), "-o", body.toString(), "http://" + HOST_IP + "/hello.txt").ok();
        String h = Files.readString(hdr);
        assertEquals("HTTP/1.1 200 OK", statusLine(h), h);
        assertEquals(String.valueOf(HELLO.length()), header(h, "Content-Length"), h);
        assertTrue(header(h, "Content-Type").startsWith("text/plain"), h);
        // curl -I stores the headers as the "body": nothing follows them
        assertEquals(h, Files.readString(body));
    }

    @Test
    @Order(3)
    void missingFileIs404AndDeleteIs405() {
        Sh.Result r = curl(ns, 10, "-o", "/dev/null", "-w", "%{http_code}", "http://" + HOST_IP + "/no-such-file").ok();
        assertEquals("404", r.out().trim());
        Sh.Result f = curl(ns, 10, "--fail", "-o", "/dev/null", "http://" + HOST_IP + "/no-such-file");
        assertEquals(22, f.exit(), "curl --fail exits 22 on 404: " + f.err());

        Sh.Result d = curl(ns, 10, "-i", "-X", "DELETE", "http://" + HOST_IP + "/hello.txt").ok();
        assertEquals("HTTP/1.1 405 Method Not Allowed", statusLine(d.out()), d.out());
        assertTrue(header(d.out(), "Allow").contains("GET"), d.out());
        // the file is still there and still served
        assertEquals(HELLO, curl(ns, 10, "--fail", "http://" + HOST_IP + "/hello.txt").ok().out());
    }

    @Test
    @Order(4)
    void rootIndexListsTheFiles() {
        Sh.Result r = curl(ns, 10, "-i", "http://" + HOST_IP + "/").ok();
        assertEquals("HTTP/1.1 200 OK", statusLine(r.out()), r.out());
        assertTrue(header(r.out(), "Content-Type").startsWith("text/html"), r.out());
        for (String f : new String[] {"hello.txt", "page.html", "one-mb.bin"}) {
            assertTrue(r.out().contains("href=\"/" + f + "\""), f + " missing from the index:\n" + r.out());
        }
    }

    @Test
    @Order(5)
    void oneMegabyteDownAndUpIsByteIdentical() throws Exception {
        Path got = scratch.resolve("one-mb.got");
        curl(ns, 20, "--fail", "-o", got.toString(), "http://" + HOST_IP + "/one-mb.bin").ok();
        TcpIt.assertSameBytes(root.resolve("one-mb.bin"), got);
        String answer = TcpIt.upload(ns, 20, root.resolve("one-mb.bin"));
        assertEquals((1 << 20) + " " + TcpIt.sha256(root.resolve("one-mb.bin")), answer);
        Files.delete(got);
    }

    @Test
    @Order(6)
    void twoHundredConcurrentCurlsAllGet200() {
        long t0 = System.nanoTime();
        // 200 curl processes at once (xargs -P), each bounded; the whole run bounded by Sh
        Sh.Result r = ns.exec(90, "bash", "-c", "seq 200 | xargs -P 200 -I{} curl -sS -o /dev/null "
                + "-w '%{http_code}\\n' --max-time 30 'http://" + HOST_IP + "/hello.txt?n={}'");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long ok = r.out().lines().filter(l -> l.trim().equals("200")).count();
        assertEquals(200, ok, "answers: " + r.out().lines().sorted().distinct().toList() + " stderr: " + r.err());
        assertTrue(ms < 60_000, "200 concurrent requests took " + ms + " ms");
        Map<String, Long> c = host.liveCounters();
        assertTrue(get(c, "tcp.passive_opens") >= 200, c.toString());
        assertTrue(get(c, "tcp.curr_established_peak") >= 2, "no concurrency seen: " + c);
    }

    @Test
    @Order(7)
    void ncTcpEchoUdpEchoAndDiscard() {
        Sh.Result t = ns.exec(15, "bash", "-c", "echo hi | nc -q1 -w5 " + HOST_IP + " 7").ok();
        assertEquals("hi\n", t.out());
        Sh.Result u = ns.exec(15, "bash", "-c", "echo hello-udp | nc -u -w1 " + HOST_IP + " 7").ok();
        assertEquals("hello-udp\n", u.out());
        // 256 KiB into discard: accepted whole, nothing comes back
        Map<String, Long> before = host.liveCounters();
        Sh.Result d = ns.exec(20, "bash", "-c", "head -c 262144 /dev/zero | nc -q1 -w5 " + HOST_IP + " 9").ok();
        assertEquals("", d.out());
        Map<String, Long> after = host.liveCounters();
        long rx = get(after, "link.rx_bytes") - get(before, "link.rx_bytes");
        assertTrue(rx >= 262144, "discard should have received 262144 bytes, the link saw " + rx
                + " (segments " + get(before, "tcp.rx_segments") + " -> " + get(after, "tcp.rx_segments") + ")");
        assertTrue(get(after, "udp.rx_delivered") >= 1, after.toString());
    }

    @Test
    @Order(8)
    void udpToAClosedPortGetsPortUnreachable() {
        long before = get(host.liveCounters(), "icmp.tx_dest_unreachable");
        // a connected UDP socket learns ICMP port unreachable as ECONNREFUSED
        String py = "import socket,sys\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(3)\n"
                + "s.connect(('" + HOST_IP + "',9999));s.send(b'x')\n"
                + "try:\n s.recv(100);print('data')\n"
                + "except ConnectionRefusedError:\n print('refused')\n"
                + "except socket.timeout:\n print('timeout')\n";
        Sh.Result r = ns.exec(15, "/usr/bin/python3", "-c", py).ok();
        assertEquals("refused", r.out().trim(), r.err());
        Map<String, Long> c = host.liveCounters();
        assertTrue(get(c, "icmp.tx_dest_unreachable") > before, c.toString());
        assertTrue(get(c, "udp.drop_no_port") >= 1, c.toString());
    }

    @Test
    @Order(9)
    void synToAClosedTcpPortGetsRst() {
        long rstBefore = get(host.liveCounters(), "tcp.rsts_sent");
        long t0 = System.nanoTime();
        Sh.Result r = ns.exec(15, "nc", "-z", "-v", "-w", "5", HOST_IP, "81");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertNotEquals(0, r.exit(), "nc -z to a closed port must fail: " + r.out() + r.err());
        assertTrue((r.out() + r.err()).contains("Connection refused"), r.out() + r.err());
        // refused at once by a RST, not after the 5 s connect timeout
        assertTrue(ms < 2500, "nc took " + ms + " ms: no RST?");
        Map<String, Long> c = host.liveCounters();
        assertTrue(get(c, "tcp.rsts_sent") > rstBefore, c.toString());
        assertTrue(get(c, "tcp.drop_no_socket") >= 1, c.toString());
    }

    @Test
    @Order(100)
    void everyFrameTheHostSentHasValidChecksums() throws Exception {
        assertEquals(0, host.stop(), "host exit code after SIGTERM; output:\n" + host.output());
        Map<String, Long> c = host.counters();
        assertEquals(0L, get(c, "link.internal_error"), c.toString());
        assertEquals(0L, get(c, "tcp.drop_bad_checksum"), "the kernel sends valid checksums: " + c);
        Path pcap = capture.stop();
        String[] opts = {"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"};
        Sh.Result tcp = Sh.run(120, Sh.concat(Sh.concat(java.util.List.of("tshark", "-n", "-r", pcap.toString()), opts),
                "-Y", "eth.src == " + HOST_MAC + " && tcp", "-T", "fields", "-e", "frame.number")).ok();
        long sent = tcp.out().lines().count();
        // 1 MB down alone is ~720 segments; 200 connections at least 5 segments each
        assertTrue(sent >= 1500, "expected the host's TCP segments in the capture, got " + sent + "\n" + tcp.err());
        Sh.Result bad = Sh.run(120, Sh.concat(Sh.concat(java.util.List.of("tshark", "-n", "-r", pcap.toString()), opts),
                "-Y", "eth.src == " + HOST_MAC + " && (ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\""
                        + " || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || _ws.malformed)")).ok();
        assertEquals("", bad.out().trim(), "frames from the host with bad checksums or malformed:\n" + bad.out() + bad.err());
        Sh.Result udp = Sh.run(60, "tshark", "-n", "-r", pcap.toString(), "-Y", "eth.src == " + HOST_MAC + " && udp").ok();
        assertTrue(udp.out().lines().count() >= 1, "the UDP echo reply should be in the capture");
        Files.deleteIfExists(pcap);
    }
}
