package io.tapstack.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helpers shared by the TCP/UDP integration tests: files, digests, curl, counters, child processes. */
final class TcpIt {
    static final String HOST_IP = "10.0.0.2";
    static final String KERNEL_IP = "10.0.0.1";

    private TcpIt() {
    }

    /** A file of {@code size} pseudo-random bytes (seeded, so a failure can be replayed). */
    static Path randomFile(Path dir, String name, long size, long seed) throws IOException {
        Path p = dir.resolve(name);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long left = size; left > 0; ) {
                for (int i = 0; i < chunk.length; i += 8) {
                    long v = r.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[i + k] = (byte) (v >>> (k * 8));
                    }
                }
                int n = (int) Math.min(left, chunk.length);
                out.write(chunk, 0, n);
                left -= n;
            }
        }
        return p;
    }

    static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(p)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Files.mismatch as an assertion with a readable message (like cmp). */
    static void assertSameBytes(Path expected, Path actual) throws IOException {
        assertTrue(Files.exists(actual), actual + " was not written");
        long at = Files.mismatch(expected, actual);
        assertEquals(-1L, at, "cmp " + expected + " " + actual + ": differ at byte " + at
                + " (sizes " + Files.size(expected) + " / " + Files.size(actual) + ")");
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: the directory is under java.io.tmpdir
        }
    }

    /** curl in the namespace; {@code -sS}, bounded by {@code --max-time}. */
    static Sh.Result curl(Netns ns, int maxTimeSeconds, String... args) {
        List<String> c = new ArrayList<>(List.of("curl", "-sS", "--max-time", String.valueOf(maxTimeSeconds)));
        c.addAll(List.of(args));
        return ns.exec(maxTimeSeconds + 10L, c.toArray(String[]::new));
    }

    /** Uploads a file with {@code curl --data-binary @file .../upload}; returns the service's "LENGTH SHA256" answer. */
    static String upload(Netns ns, int maxTimeSeconds, Path file) {
        Sh.Result r = curl(ns, maxTimeSeconds, "--fail", "-H", "Content-Type: application/octet-stream",
                "--data-binary", "@" + file, "http://" + HOST_IP + "/upload").ok();
        return r.out().trim();
    }

    /** {@code tcp.retransmitted_segments} and friends from a counter map, 0 when absent. */
    static long get(Map<String, Long> c, String key) {
        return c.getOrDefault(key, 0L);
    }

    /** A child process in the namespace that is stopped by its PID (SIGTERM, then SIGKILL, bounded). */
    /** Waits (bounded) until {@code server} listens on TCP {@code ip:port} in the namespace. */
    static void awaitListening(Netns ns, Child server, String ip, int port) {
        for (int i = 0; i < 100; i++) {
            if (ns.exec(5, "ss", "-Hltn", "src", ip, "sport", "= :" + port).out().contains(":" + port)) {
                return;
            }
            assertTrue(server.process.isAlive(), "server died: " + server.log());
            Host.sleep(100);
        }
        throw new AssertionError("server not listening on " + ip + ":" + port + " after 10 s: " + server.log());
    }

    static final class Child implements AutoCloseable {
        final Process process;
        final Path log;

        Child(Netns ns, List<String> cmd) throws IOException {
            List<String> c = new ArrayList<>(ns.prefix());
            c.addAll(cmd);
            log = Files.createTempFile("tsit-child", ".log");
            // ip netns exec execs the command, so this PID is the command's own
            process = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() {
            ProcessHandle h = process.toHandle();
            h.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    h.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                Files.deleteIfExists(log);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }

    /** Stops the host, removes the namespace and deletes the directories — each even if an earlier step fails. */
    static void teardown(Host host, Netns ns, Path... dirs) {
        try {
            if (host != null) {
                host.stop();
            }
        } finally {
            try {
                if (ns != null) {
                    ns.close();
                }
            } finally {
                for (Path d : dirs) {
                    deleteTree(d);
                }
            }
        }
    }
}
