package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In the default configuration (no memory limit; {@code MemLimitIT} covers a low one): 200
 * connections from spoofed sources behind the kernel ({@code memflood.py ooo}) each filled with
 * out-of-order segments whose holes are never filled, sent over and over, while Linux uploads a
 * file. The held out-of-order data stays within each connection's receive window (RFC 9293
 * §3.10.7.4: segments beyond it are dropped), so the heap after a full GC taken during the flood
 * grows by far less than 200 receive buffers; the segments are counted; the upload arrives
 * byte-identical (the service's length and SHA-256).
 */
class OutOfOrderFloodIT {
    static final String HOST_MAC = "02:00:00:00:00:0e";
    static final int CONNS = 200;
    static final int SECONDS = 8;
    static final long SIZE = 16L << 20;
    static Netns ns;
    static Host host;
    static Path work;

    @BeforeAll
    static void up() throws Exception {
        work = Files.createTempDirectory("tsit-ooof-work");
        TcpIt.randomFile(work, "up.bin", SIZE, 9293);
        ns = Netns.create("ooof", KERNEL_IP + "/24");
        host = Host.start(ns, "--ipv4", HOST_IP + "/24", "--gateway", KERNEL_IP, "--mac", HOST_MAC, "--no-ipv6",
                "--offload", "none", "--services", "http,discard");
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns, work);
    }

    @Test
    void heldOutOfOrderDataStaysBoundedAndAnUploadCompletesByteIdentical_rfc9293s31074() throws Exception {
        Path script = Path.of(OutOfOrderFloodIT.class.getResource("/memflood.py").toURI());
        long heapBefore = Flood.heapAfterGc(host);
        Map<String, Long> before = host.liveCounters();
        String flood;
        String upload;
        long heapDuring;
        try (TcpIt.Child ooo = new TcpIt.Child(ns, List.of("/usr/bin/python3", script.toString(), "ooo", ns.tap,
                HOST_MAC, HOST_IP, "9", String.valueOf(CONNS), String.valueOf(SECONDS), "11"))) {
            for (int i = 0; i < 100 && !ooo.log().contains("started"); i++) {
                assertTrue(ooo.process.isAlive(), "memflood ooo: " + ooo.log());
                Host.sleep(100);
            }
            assertTrue(ooo.log().contains("started"), "memflood ooo did not start: " + ooo.log());
            // the upload (about 4 s at 4 MB/s) and a heap reading while the flood holds its data
            try (TcpIt.Child up = new TcpIt.Child(ns, List.of("curl", "-sS", "--fail", "--max-time", "60", "--limit-rate", "4M",
                    "-H", "Content-Type: application/octet-stream", "--data-binary", "@" + work.resolve("up.bin"),
                    "http://" + HOST_IP + "/upload"))) {
                Host.sleep(3000);
                heapDuring = Flood.heapAfterGc(host);
                assertTrue(up.process.waitFor(70, TimeUnit.SECONDS), "upload did not end: " + up.log());
                upload = "exit " + up.process.exitValue() + " " + up.log().trim();
            }
            assertTrue(ooo.process.waitFor(60, TimeUnit.SECONDS), "the flood did not end: " + ooo.log());
            flood = ooo.log().trim().replace('\n', ' ');
        }
        Map<String, Long> after = host.liveCounters();
        long heapAfter = Flood.heapAfterGc(host);
        long ooo = Flood.delta(before, after, "tcp.out_of_order_segments");
        long queueFull = Flood.delta(before, after, "tcp.drop_ooo_queue_full");
        long opens = Flood.delta(before, after, "tcp.passive_opens");
        String ctx = flood + "; upload " + upload + "; tcp passive opens " + opens + ", out of order segments " + ooo
                + ", ooo queue full " + queueFull + "; heap after GC " + (heapBefore >> 10) + " KB, during the flood "
                + (heapDuring >> 10) + " KB, after " + (heapAfter >> 10) + " KB";
        System.out.println("OutOfOrderFloodIT: " + ctx);
        assertTrue(flood.contains("ooo connections " + CONNS), "every flood connection opened: " + ctx);
        assertTrue(opens >= CONNS, ctx);
        assertTrue(ooo > CONNS * 30L, "out-of-order segments reached the connections and were counted: " + ctx);
        assertEquals("exit 0 " + SIZE + " " + TcpIt.sha256(work.resolve("up.bin")), upload, ctx);
        // 200 connections × their 64 KiB window of held segments is ~13 MB at most; unbounded, the
        // flood's repeats alone would be far more
        assertTrue(heapDuring - heapBefore < Flood.HEAP_GROWTH_LIMIT, "held out-of-order data bounded: " + ctx);
        assertTrue(heapAfter - heapBefore < Flood.HEAP_GROWTH_LIMIT, "released after the flood's resets: " + ctx);
        assertEquals(0L, get(after, "link.internal_error"), after.toString());
        assertTrue(host.isAlive(), host.output());
    }
}
