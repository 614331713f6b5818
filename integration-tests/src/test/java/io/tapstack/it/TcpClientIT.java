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

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java host as a TCP client of Linux ({@code tapstack get} against {@code python3 -m
 * http.server} bound to the kernel's address in the namespace), then the http service without
 * a root (its generated index page). The TAP has one user at a time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpClientIT {
    static final int PORT = 8080;
    static Netns ns;
    static Path dir;
    static Path scratch;

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("tsit-client-srv");
        scratch = Files.createTempDirectory("tsit-client-scratch");
        TcpIt.randomFile(dir, "twenty.bin", 20L << 20, 20);
        ns = Netns.create("cli", KERNEL_IP + "/24");
    }

    @AfterAll
    static void down() {
        try {
            if (ns != null) {
                ns.close();
            }
        } finally {
            TcpIt.deleteTree(dir);
            TcpIt.deleteTree(scratch);
        }
    }

    /** Waits (bounded) until something listens on KERNEL_IP:PORT in the namespace. */
    static void awaitListening(TcpIt.Child server) {
        TcpIt.awaitListening(ns, server, KERNEL_IP, PORT);
    }

    @Test
    @Order(1)
    void javaHostFetchesTwentyMegabytesFromLinuxHttpServer() throws Exception {
        Path got = scratch.resolve("twenty.got");
        try (TcpIt.Child server = new TcpIt.Child(ns, List.of("/usr/bin/python3", "-m", "http.server", String.valueOf(PORT),
                "--bind", KERNEL_IP, "--directory", dir.toString()))) {
            awaitListening(server);
            List<String> cmd = new ArrayList<>(List.of("java", "-Xmx256m", "-jar", Host.jar().toString(), "get",
                    "--tap", ns.tap, "--ipv4", "10.0.0.3/24", "--no-ipv6", "--timeout", "60",
                    "http://" + KERNEL_IP + ":" + PORT + "/twenty.bin", "-o", got.toString()));
            Sh.Result r = ns.exec(90, cmd.toArray(String[]::new));
            assertEquals(0, r.exit(), "tapstack get: " + r.out() + r.err() + "\nserver log: " + server.log());
            assertTrue((r.out() + r.err()).contains("200"), r.out() + r.err());
            assertTrue(server.log().contains("\"GET /twenty.bin HTTP/1.1\" 200"), server.log());
        }
        TcpIt.assertSameBytes(dir.resolve("twenty.bin"), got);
        Files.delete(got);
    }

    @Test
    @Order(2)
    void httpServiceWithoutRootServesTheGeneratedIndex() {
        try (Host host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--no-ipv6", "--services", "http")) {
            Sh.Result r = TcpIt.curl(ns, 10, "-i", "http://" + HOST_IP + "/").ok();
            assertTrue(r.out().startsWith("HTTP/1.1 200 OK"), r.out());
            assertTrue(r.out().toLowerCase().contains("content-type: text/html"), r.out());
            assertTrue(r.out().contains("<title>tapstack</title>"), r.out());
            Sh.Result missing = TcpIt.curl(ns, 10, "-o", "/dev/null", "-w", "%{http_code}", "http://" + HOST_IP + "/x.txt").ok();
            assertEquals("404", missing.out().trim());
            assertEquals(0, host.stop(), host.output());
            assertEquals(0L, host.counters().getOrDefault("link.internal_error", 0L));
        }
    }
}
