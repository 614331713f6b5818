package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same TCP, through every combination of virtio-net offloads (issue #6): for each, against
 * the Linux kernel over the TAP, a 20 MB download and upload byte-identical (with 2% loss on
 * what the host receives, so retransmission runs through the offload paths too), TCP echo, and
 * iperf3 in both directions. Counters show which path the frames took (TSO segments, software
 * GSO, GRO merges).
 */
class OffloadMatrixIT {
    static Netns ns;
    static Path dir;
    static Path file;
    static String sha;

    @BeforeAll
    static void up() throws Exception {
        ns = Netns.create("offl", "10.0.0.1/24");
        dir = Files.createTempDirectory("tapstack-offload");
        file = dir.resolve("blob.bin");
        byte[] data = new byte[20 << 20];
        new Random(42).nextBytes(data);
        Files.write(file, data);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @AfterAll
    static void down() throws Exception {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
                Files.deleteIfExists(dir.resolve("down.bin"));
                Files.deleteIfExists(dir);
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @ParameterizedTest(name = "--offload {0}")
    @ValueSource(strings = {"none", "csum", "tso", "lro", "csum,tso", "csum,lro", "tso,lro", "csum,tso,lro"})
    void tcpWorksWithEveryOffloadCombination(String offload) throws Exception {
        Host host = Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6", "--offload", offload,
                "--services", "echo,http,iperf3", "--http-root", dir.toString(),
                "--fault-rx-loss", "2", "--fault-seed", "7");
        try {
            assertTrue(host.readyLine().contains("offload=" + offload), host.readyLine());
            Path down = dir.resolve("down.bin");
            Sh.Result get = ns.exec(120, "curl", "-sS", "-m", "100", "-o", down.toString(), "http://10.0.0.2/blob.bin");
            assertEquals(0, get.exit(), get.err());
            assertEquals(sha, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(down))),
                    "download byte-identical with --offload " + offload);
            Sh.Result up = ns.exec(120, "curl", "-sS", "-m", "100", "--data-binary", "@" + file, "http://10.0.0.2/upload");
            assertEquals(0, up.exit(), up.err());
            assertTrue(up.out().contains(sha), "upload SHA-256 with --offload " + offload + ": " + up.out());
            Sh.Result echo = ns.exec(20, "bash", "-c", "echo offload-" + offload + " | nc -q1 10.0.0.2 7");
            assertEquals("offload-" + offload, echo.out().strip());
            for (String dirFlag : new String[] {"", "-R"}) {
                Sh.Result ip = dirFlag.isEmpty() ? ns.exec(40, "iperf3", "-c", "10.0.0.2", "-t", "1")
                        : ns.exec(40, "iperf3", "-c", "10.0.0.2", "-t", "1", "-R");
                assertEquals(0, ip.exit(), "iperf3 " + dirFlag + " with --offload " + offload + ":\n" + ip.out() + ip.err());
                assertTrue(ip.out().contains("receiver"), ip.out());
            }
            Map<String, Long> c = host.liveCounters();
            assertTrue(c.getOrDefault("faults.rx_dropped", 0L) > 0, "loss happened: " + c);
            assertTrue(c.getOrDefault("tcp.retransmitted_segments", 0L) + c.getOrDefault("tcp.fast_retransmits", 0L) > 0
                    || c.getOrDefault("tcp.dup_acks", 0L) + c.getOrDefault("tcp.out_of_order_segments", 0L) > 0,
                    "loss was recovered by TCP: " + c);
            if (offload.contains("tso")) {
                assertTrue(c.getOrDefault("tcp.tx_tso_segments", 0L) > 0, "TSO segments sent: " + c);
            } else {
                assertEquals(0L, c.getOrDefault("tcp.tx_tso_segments", 0L), "no TSO without tso: " + c);
            }
            assertEquals(0L, c.getOrDefault("link.internal_error", 0L), c.toString());
        } finally {
            assertEquals(0, host.stop(), host.output());
        }
    }
}
