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

/**
 * Transfers through the host's faulty link with reordering (5 %), duplication (2 %) and 2 ms
 * delay in each direction stay byte-identical; the fault counters show the faults happened.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TcpFaultIT {
    static final long SIZE = 10L << 20;
    static Netns ns;
    static Host host;
    static Path root;
    static Path scratch;
    static Path file;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-fault-root");
        scratch = Files.createTempDirectory("tsit-fault-scratch");
        file = TcpIt.randomFile(root, "ten.bin", SIZE, 3);
        ns = Netns.create("fault", KERNEL_IP + "/24");
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--no-ipv6", "--services", "http", "--http-root", root.toString(),
                "--fault-reorder", "5", "--fault-duplicate", "2", "--fault-delay", "2", "--fault-seed", "3");
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns, root, scratch);
    }

    @Test
    @Order(1)
    void downloadThroughReorderDuplicateDelayIsByteIdentical() throws Exception {
        Map<String, Long> before = host.liveCounters();
        Path got = scratch.resolve("ten.got");
        long t0 = System.nanoTime();
        TcpIt.curl(ns, 90, "--fail", "-o", got.toString(), "http://" + HOST_IP + "/ten.bin").ok();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        TcpIt.assertSameBytes(file, got);
        Files.delete(got);
        Map<String, Long> after = host.liveCounters();
        String summary = "download " + ms + " ms; " + TcpLossIT.tcpSummary(before, after) + " faults.reordered="
                + (get(after, "faults.reordered") - get(before, "faults.reordered")) + " faults.duplicated="
                + (get(after, "faults.duplicated") - get(before, "faults.duplicated"));
        System.out.println("TcpFaultIT " + summary);
        assertTrue(get(after, "faults.reordered") > get(before, "faults.reordered"), summary);
        assertTrue(get(after, "faults.duplicated") > get(before, "faults.duplicated"), summary);
    }

    @Test
    @Order(2)
    void uploadThroughReorderDuplicateDelayIsByteIdentical() throws Exception {
        Map<String, Long> before = host.liveCounters();
        long t0 = System.nanoTime();
        String answer = TcpIt.upload(ns, 90, file);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Map<String, Long> after = host.liveCounters();
        String summary = "upload " + ms + " ms; " + TcpLossIT.tcpSummary(before, after) + " faults.reordered="
                + (get(after, "faults.reordered") - get(before, "faults.reordered"));
        System.out.println("TcpFaultIT " + summary);
        assertEquals(SIZE + " " + TcpIt.sha256(file), answer, summary);
        // reordered and duplicated segments from the kernel reached the host's TCP
        assertTrue(get(after, "tcp.out_of_order_segments") > get(before, "tcp.out_of_order_segments"), summary);
        assertTrue(get(after, "faults.reordered") > get(before, "faults.reordered"), summary);
    }

    @Test
    @Order(3)
    void hostStaysHealthy() {
        assertEquals(0, host.stop(), host.output());
        Map<String, Long> c = host.counters();
        assertEquals(0L, get(c, "link.internal_error"), c.toString());
        assertTrue(get(c, "tcp.duplicate_segments") + get(c, "tcp.drop_paws") > 0, "duplicates were seen: " + c);
    }
}
