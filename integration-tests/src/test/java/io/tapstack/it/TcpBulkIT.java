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

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 100 MB each way between curl and the Java host's http service, byte-identical. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpBulkIT {
    static final long SIZE = 100L << 20;
    static Netns ns;
    static Host host;
    static Path root;
    static Path scratch;
    static Path big;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-bulk-root");
        scratch = Files.createTempDirectory("tsit-bulk-scratch");
        big = TcpIt.randomFile(root, "big.bin", SIZE, 100);
        ns = Netns.create("bulk", KERNEL_IP + "/24");
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--no-ipv6", "--services", "http", "--http-root", root.toString());
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns, root, scratch);
    }

    @Test
    @Order(1)
    void hundredMegabyteDownloadIsByteIdentical() throws Exception {
        Path got = scratch.resolve("big.got");
        Sh.Result r = TcpIt.curl(ns, 60, "--fail", "-o", got.toString(), "-w", "%{http_code} %{size_download}",
                "http://" + HOST_IP + "/big.bin").ok();
        assertEquals("200 " + SIZE, r.out().trim());
        Sh.Result cmp = Sh.run(60, "cmp", big.toString(), got.toString());
        assertEquals(0, cmp.exit(), "cmp: " + cmp.out() + cmp.err());
        Files.delete(got);
    }

    @Test
    @Order(2)
    void hundredMegabyteUploadHashesToTheSameSha256() throws Exception {
        String answer = TcpIt.upload(ns, 60, big);
        assertEquals(SIZE + " " + TcpIt.sha256(big), answer);
    }

    @Test
    @Order(3)
    void hostStaysHealthy() {
        Map<String, Long> c = host.liveCounters();
        assertEquals(0L, get(c, "link.internal_error"), c.toString());
        assertTrue(get(c, "tcp.passive_opens") >= 2, c.toString());
        assertEquals(0, host.stop(), host.output());
    }
}
