package io.tapstack.it;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the flood tests share: {@code flood.py} as a bounded child in the namespace, paced like
 * {@link TcpSynFloodIT}'s so that it tests the stack and not the TAP queue, and the host's heap
 * after a full collection, read with {@code jcmd} (the host is a JVM we started; its PID is ours).
 */
final class Flood implements AutoCloseable {
    /** Heap a flood may leave behind after a full GC: far below what an unbounded table of 10⁵ entries takes. */
    static final long HEAP_GROWTH_LIMIT = 24L << 20;
    /** The host's own ICMP and ICMPv6 errors: {@code StackConfig.icmpErrorsPerSecond} and {@code icmpErrorBurst}. */
    static final int ERRORS_PER_SECOND = 1000;
    static final int ERROR_BURST = 50;

    private final TcpIt.Child child;

    private Flood(TcpIt.Child child) {
        this.child = child;
    }

    /**
     * Starts {@code flood.py MODE TAP HOST_MAC HOST_ADDR SECONDS SEED RATE [EXTRA...]} and waits (bounded: 30 s)
     * until it prints that it sends.
     */
    static Flood start(Netns ns, String mode, String hostMac, String hostAddr, int seconds, long seed, int rate,
                       String... extra) throws Exception {
        Path script = Path.of(Flood.class.getResource("/flood.py").toURI());
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/python3", script.toString(), mode, ns.tap, hostMac,
                hostAddr, String.valueOf(seconds), String.valueOf(seed), String.valueOf(rate)));
        cmd.addAll(List.of(extra));
        TcpIt.Child f = new TcpIt.Child(ns, cmd);
        for (int i = 0; i < 300 && !f.log().contains("sending"); i++) {
            assertTrue(f.process.isAlive(), "flood.py " + mode + ": " + f.log());
            Host.sleep(100);
        }
        assertTrue(f.log().contains("sending"), "flood.py " + mode + " did not start: " + f.log());
        return new Flood(f);
    }

    boolean running() {
        return child.process.isAlive();
    }

    /**
     * Runs {@code pingCmd} in the namespace while the flood lasts, sampling {@code table} once a
     * second (at most 3 times) into {@code rows}; returns ping's output (bounded: 30 s).
     */
    String pingWhileSampling(Netns ns, List<String> pingCmd, java.util.function.IntSupplier table, List<Integer> rows)
            throws Exception {
        try (TcpIt.Child p = new TcpIt.Child(ns, pingCmd)) {
            for (int i = 0; i < 3 && running(); i++) {
                Host.sleep(1000);
                rows.add(table.getAsInt());
            }
            assertTrue(p.process.waitFor(30, TimeUnit.SECONDS), pingCmd + " did not end");
            return p.log();
        }
    }

    /** Waits (bounded) for the flood's end and returns its last line ("sent N distinct D"). */
    String awaitEnd(int seconds) throws InterruptedException {
        assertTrue(child.process.waitFor(seconds, TimeUnit.SECONDS), "the flood did not end: " + child.log());
        return child.log().trim();
    }

    /** Frames the flood sent, from its last line. */
    static long sent(String log) {
        Matcher m = Pattern.compile("sent (\\d+) distinct").matcher(log);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Frames sent of each kind, from a last line ending in {@code kinds NAME=N ...} (0 for a kind not listed). */
    static long kind(String log, String name) {
        Matcher m = Pattern.compile("kinds .*\\b" + Pattern.quote(name) + "=(\\d+)").matcher(log);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Override
    public void close() {
        child.close();
    }

    /** The host JVM's used heap, in bytes, right after a full collection ({@code jcmd GC.run}, then {@code GC.heap_info}). */
    static long heapAfterGc(Host host) {
        String pid = String.valueOf(host.pid());
        Sh.run(30, "jcmd", pid, "GC.run").ok();
        String info = Sh.run(30, "jcmd", pid, "GC.heap_info").ok().out();
        Matcher m = Pattern.compile("total \\d+K, used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new AssertionError("no heap figure in jcmd GC.heap_info: " + info);
        }
        return Long.parseLong(m.group(1)) << 10;
    }

    /** Entries of a {@code tapstack stat --arp} or {@code --neigh} table: its non-blank lines but the {@code headerLines}. */
    static int tableRows(String table, int headerLines) {
        int n = 0;
        for (String l : table.split("\n")) {
            if (!l.isBlank()) {
                n++;
            }
        }
        return Math.max(0, n - headerLines);
    }

    /** Transmitted and received counts of a {@code ping} summary: {@code [tx, rx]}. */
    static int[] pingCounts(String out) {
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(out);
        if (!m.find()) {
            return new int[] {0, 0};
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }

    /**
     * The host answered some of the flood with errors of its own, within its token bucket over
     * {@code seconds} (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)), and counted the rest as rate-limited.
     */
    static void assertOwnErrorsRateLimited(long sent, long limited, double seconds, String ctx) {
        assertTrue(sent > 0 && limited > 0, "own errors sent and limited: " + ctx);
        assertTrue(sent <= ERRORS_PER_SECOND * (seconds + 1) + ERROR_BURST, "own errors rate-limited: " + ctx);
    }

    /** A counter's growth between two {@link Host#liveCounters()} snapshots. */
    static long delta(Map<String, Long> before, Map<String, Long> after, String key) {
        return TcpIt.get(after, key) - TcpIt.get(before, key);
    }

    /** Waits (bounded: 10 s) until the kernel's ping reaches {@code addr6} (its DAD passed). */
    static void awaitPing6(Netns ns, String addr6) {
        for (int i = 0; i < 20 && ns.exec(5, "ping", "-6", "-c", "1", "-W", "1", addr6).exit() != 0; i++) {
            Host.sleep(500);
        }
    }
}
