package io.tapstack.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocationStatsTest {
    @TempDir
    Path dir;

    private static long query(Path p) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(p));
            ByteBuffer b = ByteBuffer.allocate(100);
            while (c.read(b) >= 0) {
                // until the server closes
            }
            String line = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
            assertTrue(line.startsWith("allocated_bytes ") && line.endsWith("\n"), line);
            return Long.parseLong(line.substring("allocated_bytes ".length()).trim());
        }
    }

    @Test
    void socketReportsWhatThreadsAllocated() throws Exception {
        Path sock = dir.resolve("stats.sock");
        AllocationStats.serve(sock);
        long before = query(sock);
        assertTrue(before > 0, "a running JVM has allocated something: " + before);
        byte[][] keep = new byte[16][];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = new byte[1 << 20];
        }
        long after = query(sock);
        assertEquals(16, keep.length);
        assertTrue(after - before >= 16L << 20, "16 MiB allocated between the queries, counter moved by " + (after - before));
        assertTrue(after - before < 64L << 20, "no more than the test allocated, give or take: " + (after - before));
    }
}
