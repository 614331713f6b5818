package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP over IPv6 against Linux (issue #4): curl -6 GET, a 50 MB download byte-identical, TCP echo
 * over the link-local address, and a SYN to a closed port answered with RST.
 */
class Tcp6IT {
    static Netns ns;
    static Host host;
    static Path dir;
    static Path file;
    static String sha;

    @BeforeAll
    static void up() throws Exception {
        ns = Netns.create("tcp6", "10.0.0.1/24");
        ns.ip("-6", "addr", "add", "fd00::1/64", "dev", ns.tap, "nodad");
        dir = Files.createTempDirectory("tapstack-tcp6");
        file = dir.resolve("big.bin");
        byte[] data = new byte[50 << 20];
        new Random(6).nextBytes(data);
        Files.write(file, data);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        Files.writeString(dir.resolve("index.html"), "<h1>tapstack over IPv6</h1>\n");
        host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--ipv6", "fd00::2/64", "--services", "echo,http",
                "--http-root", dir.toString());
    }

    @AfterAll
    static void down() throws Exception {
        try {
            if (host != null) {
                host.stop();
            }
            if (dir != null) {
                for (String f : new String[] {"big.bin", "index.html", "down.bin"}) {
                    Files.deleteIfExists(dir.resolve(f));
                }
                Files.deleteIfExists(dir);
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void curl6GetAndHead() {
        Sh.Result r = ns.exec(20, "curl", "-6", "-sS", "-m", "10", "-i", "http://[fd00::2]/index.html");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("HTTP/1.1 200"), r.out());
        assertTrue(r.out().contains("<h1>tapstack over IPv6</h1>"), r.out());
        Sh.Result h = ns.exec(20, "curl", "-6", "-sS", "-m", "10", "-I", "http://[fd00::2]/big.bin");
        assertTrue(h.out().contains("Content-Length: " + (50 << 20)), h.out());
    }

    @Test
    void fiftyMegabytesOverIpv6ByteIdentical() throws Exception {
        Path down = dir.resolve("down.bin");
        Sh.Result r = ns.exec(120, "curl", "-6", "-sS", "-m", "100", "-o", down.toString(), "http://[fd00::2]/big.bin");
        assertEquals(0, r.exit(), r.err());
        String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(down)));
        assertEquals(sha, got, "50 MB over IPv6 byte-identical");
        Files.deleteIfExists(down);
    }

    @Test
    void tcpEchoOverTheLinkLocalAddress() {
        String ll = host.readyLine().replaceAll(".*ipv6=(fe80::[0-9a-f:]+)/64.*", "$1");
        assertTrue(ll.startsWith("fe80::"), host.readyLine());
        Sh.Result r = ns.exec(20, "bash", "-c", "echo hello-ll | nc -6 -q1 " + ll + "%" + ns.tap + " 7");
        assertEquals("hello-ll", r.out().strip(), r.err());
    }

    @Test
    void synToAClosedPortOverIpv6GetsRst() {
        Map<String, Long> before = host.liveCounters();
        Sh.Result r = ns.exec(20, "bash", "-c", "nc -6 -z -w 3 fd00::2 4444; echo rc=$?");
        assertTrue(r.out().contains("rc=1"), "connection refused: " + r.out() + r.err());
        Map<String, Long> after = host.liveCounters();
        long rst = after.getOrDefault("tcp.rsts_sent", 0L) - before.getOrDefault("tcp.rsts_sent", 0L);
        assertTrue(rst >= 1, "an RST was sent: " + after);
    }
}
