package io.tapstack.bench.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The heap bytes a benchmark server has allocated, over a control channel that is neither of
 * the network stacks being measured: a Unix socket whose every connection gets one line,
 * {@code allocated_bytes N}. N sums HotSpot's per-thread allocation counters
 * ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}) over the live threads, so a
 * script reads it before and after a load run and divides by the requests served. Exact, not
 * sampled; a thread that ended takes its count with it (the servers' I/O threads live as long as
 * the server). The answering thread allocates a few hundred bytes per query, once per run.
 */
final class AllocationStats {
    private AllocationStats() {
    }

    /** Bytes allocated so far by the JVM's live threads, or -1 where HotSpot's counters are absent. */
    static long allocatedBytes() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported() || !mx.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long sum = 0;
        for (long n : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            if (n > 0) {
                sum += n;
            }
        }
        return sum;
    }

    /** Serves {@code path} on a daemon thread until the JVM ends (an old socket file is replaced). */
    static void serve(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Thread t = new Thread(() -> {
            while (server.isOpen()) {
                try (SocketChannel c = server.accept()) {
                    c.write(ByteBuffer.wrap(("allocated_bytes " + allocatedBytes() + "\n").getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException e) {
                    return;
                }
            }
        }, "allocation-stats");
        t.setDaemon(true);
        t.start();
    }
}
