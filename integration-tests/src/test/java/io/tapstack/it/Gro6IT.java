package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.tapstack.it.TcpIt.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Software GRO for TCP over IPv6 against Linux (issue 15; RFC 8200 §3): with {@code --offload none}
 * the kernel sends the host MSS-sized segments, which the host's GRO merges before TCP; a 40 MB
 * upload over IPv6 hashes to the same SHA-256, the merges are counted ({@code link.rx_gro_merged}),
 * and TCP saw no bad checksum (a merged segment's stale checksum is never verified again).
 */
class Gro6IT {
    static final long SIZE = 40L << 20;
    static final String HOST_IP6 = "fd00::2";
    static Netns ns;
    static Host host;
    static Path root;
    static Path big;

    @BeforeAll
    static void up() throws Exception {
        root = Files.createTempDirectory("tsit-gro6-root");
        big = TcpIt.randomFile(root, "big.bin", SIZE, 615);
        ns = Netns.create("gro6", "10.0.0.1/24");
        ns.ip("-6", "addr", "add", "fd00::1/64", "dev", ns.tap, "nodad");
        host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--ipv6", HOST_IP6 + "/64", "--offload", "none",
                "--services", "http", "--http-root", root.toString());
        Flood.awaitPing6(ns, HOST_IP6);
    }

    @AfterAll
    static void down() {
        TcpIt.teardown(host, ns, root);
    }

    @Test
    void anUploadOverIpv6IsCoalescedAndArrivesIdentical_rfc8200s3() throws Exception {
        Map<String, Long> before = host.liveCounters();
        Sh.Result r = TcpIt.curl(ns, 60, "--fail", "-H", "Content-Type: application/octet-stream",
                "--data-binary", "@" + big, "http://[" + HOST_IP6 + "]/upload").ok();
        assertEquals(SIZE + " " + TcpIt.sha256(big), r.out().trim(), "40 MB over IPv6 byte-identical");
        Map<String, Long> after = host.liveCounters();
        long merged = get(after, "link.rx_gro_merged") - get(before, "link.rx_gro_merged");
        long frames = get(after, "link.rx_frames") - get(before, "link.rx_frames");
        String ctx = "merged " + merged + " of " + frames + " frames received";
        System.out.println("gro6: " + ctx);
        ctx += "; " + after;
        assertTrue(merged > 0, "GRO merged IPv6 segments: " + ctx);
        assertTrue(merged < frames, ctx);
        assertEquals(get(before, "tcp.drop_bad_checksum"), get(after, "tcp.drop_bad_checksum"), ctx);
        assertEquals(0L, get(after, "link.internal_error"), ctx);
    }
}
