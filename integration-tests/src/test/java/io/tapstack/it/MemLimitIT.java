package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tapstack.it.TcpIt.HOST_IP;
import static io.tapstack.it.TcpIt.KERNEL_IP;
import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory budget against real Linux (issue 11): a host with {@code --mem-limit 8m} on a
 * 96 MiB heap, two rate-limited 20 MB transfers (a curl download and a curl upload) running, and
 * meanwhile thousands of connections from the kernel to the discard port plus out-of-order
 * segments (holes never filled) from spoofed sources into open connections. The flood is refused
 * and counted, the transfers complete byte-identical, the JVM neither dies nor logs an
 * OutOfMemoryError, and the budget comes back to nothing but TIME-WAIT entries once all is closed.
 */
class MemLimitIT {
    static final String HOST_MAC = "02:00:00:00:00:02";
    static final long SIZE = 20L << 20;
    static Netns ns;
    static Host host;
    static Path root;
    static Path work;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-memlimit-root");
        work = Files.createTempDirectory("tsit-memlimit-work");
        TcpIt.randomFile(root, "big.bin", SIZE, 11);
        TcpIt.randomFile(work, "up.bin", SIZE, 12);
        ns = Netns.create("meml", KERNEL_IP + "/24");
        host = Host.start(ns, List.of("-Xmx96m"), "--ipv4", HOST_IP + "/24", "--gateway", KERNEL_IP, "--mac", HOST_MAC,
                "--no-ipv6", "--offload", "none", "--mem-limit", "8m", "--services", "http,discard",
                "--http-root", root.toString());
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns, root, work);
    }

    /** curl in the namespace as a child process (bounded by --max-time). */
    private static TcpIt.Child curl(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "--fail", "--max-time", "150", "--limit-rate", "2M"));
        c.addAll(List.of(args));
        return new TcpIt.Child(ns, c);
    }

    private static void awaitStarted(TcpIt.Child f, String what) {
        for (int i = 0; i < 100 && !f.log().contains("started"); i++) {
            assertTrue(f.process.isAlive(), what + ": " + f.log());
            Host.sleep(100);
        }
        assertTrue(f.log().contains("started"), what + " did not start: " + f.log());
    }

    @Test
    void aFloodIsRefusedAndCountedWhileTransfersCompleteByteIdentical() throws Exception {
        Path script = Path.of(MemLimitIT.class.getResource("/memflood.py").toURI());
        Path got = work.resolve("got.bin");
        String floods;
        String upload;
        int downloadExit;
        int uploadExit;
        try (TcpIt.Child down = curl("-o", got.toString(), "http://" + HOST_IP + "/big.bin");
             TcpIt.Child up = curl("-H", "Content-Type: application/octet-stream", "--data-binary",
                     "@" + work.resolve("up.bin"), "http://" + HOST_IP + "/upload")) {
            Host.sleep(1000); // both transfers under way (2 MB/s each: ~10 s)
            try (TcpIt.Child conns = new TcpIt.Child(ns, List.of("/usr/bin/python3", script.toString(), "conns",
                    HOST_IP, "9", "4000", "12"));
                 TcpIt.Child ooo = new TcpIt.Child(ns, List.of("/usr/bin/python3", script.toString(), "ooo", ns.tap,
                         HOST_MAC, HOST_IP, "9", "60", "12", "7"))) {
                awaitStarted(conns, "memflood conns");
                awaitStarted(ooo, "memflood ooo");
                assertTrue(conns.process.waitFor(60, TimeUnit.SECONDS), "the connection flood did not end: " + conns.log());
                assertTrue(ooo.process.waitFor(60, TimeUnit.SECONDS), "the out-of-order flood did not end: " + ooo.log());
                floods = (conns.log().trim() + "; " + ooo.log().trim()).replace('\n', ' ');
            }
            assertTrue(down.process.waitFor(170, TimeUnit.SECONDS), "download did not end: " + down.log());
            assertTrue(up.process.waitFor(170, TimeUnit.SECONDS), "upload did not end: " + up.log());
            downloadExit = down.process.exitValue();
            uploadExit = up.process.exitValue();
            upload = up.log().trim();
        }
        Map<String, Long> c = host.liveCounters();
        String ctx = floods + "; mem " + memOf(c);
        System.out.println("MemLimitIT: " + ctx);

        // the transfers: byte-identical
        assertEquals(0, downloadExit, "download: " + ctx);
        TcpIt.assertSameBytes(root.resolve("big.bin"), got);
        assertEquals(0, uploadExit, "upload: " + upload + "; " + ctx);
        assertEquals(SIZE + " " + TcpIt.sha256(work.resolve("up.bin")), upload, ctx);

        // the flood: refused and counted
        assertTrue(floods.contains("conns established") && floods.contains("ooo connections"), ctx);
        assertTrue(get(c, "mem.entered_hard") > 0, "the limit was reached: " + ctx);
        assertTrue(get(c, "mem.drop_syn") + get(c, "mem.drop_cookie_ack") > 0, "connections refused at the limit: " + ctx);
        assertTrue(get(c, "mem.drop_ooo_hard") + get(c, "mem.drop_ooo_pressure") > 0, "out-of-order data refused: " + ctx);
        assertTrue(get(c, "mem.peak") <= get(c, "mem.limit") + (1L << 20),
                "held within the limit (plus rings reused from the pool, at most limit/8): " + ctx);

        // everything closed: nothing charged but TIME-WAIT entries (bounded: 60 s for SYN-ACK retries)
        Map<String, Long> m = c;
        for (int i = 0; i < 120 && get(m, "mem.used") - get(m, "mem.used_time_wait") > 0; i++) {
            Host.sleep(500);
            m = host.liveCounters();
        }
        ctx = "mem " + memOf(m);
        assertEquals(0, get(m, "mem.used_rings"), ctx);
        assertEquals(0, get(m, "mem.used_connections"), ctx);
        assertEquals(0, get(m, "mem.used_syn_queue"), ctx);
        assertEquals(0, get(m, "mem.used_reassembly"), ctx);
        assertTrue(get(m, "mem.used_time_wait") <= 64 * 1024, ctx);
        assertEquals(0, get(m, "mem.state_hard") + get(m, "mem.state_pressure"), "back to NORMAL: " + ctx);

        // the host is alive, answers, and never ran out of heap
        Sh.Result p = ns.exec(20, "ping", "-c", "2", "-i", "0.2", "-W", "2", HOST_IP);
        assertEquals(0, p.exit(), p.out());
        assertTrue(host.isAlive(), host.output());
        assertFalse(host.output().contains("OutOfMemoryError"), host.output());
        assertEquals(0L, get(m, "link.internal_error"), m.toString());
    }

    private static String memOf(Map<String, Long> c) {
        StringBuilder sb = new StringBuilder();
        c.entrySet().stream().filter(e -> e.getKey().startsWith("mem.")).sorted(Map.Entry.comparingByKey())
                .forEach(e -> sb.append(e.getKey().substring(4)).append('=').append(e.getValue()).append(' '));
        return sb.toString().trim();
    }
}
