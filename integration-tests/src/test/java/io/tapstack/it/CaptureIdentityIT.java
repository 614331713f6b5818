package io.tapstack.it;

import io.tapstack.capture.CaptureFileReader;
import io.tapstack.capture.CaptureRecord;
import io.tapstack.capture.Direction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue #5: while ping, curl and UDP/TCP echo run, the kernel side of the TAP (a live Pcap4J
 * handle in a child process inside the namespace) and the stack's capture tap (its
 * {@code --capture-file} for the whole run, and a {@code tapstack capture -w} over the control
 * socket) record the same frames, byte for byte, in the same order per direction. The kernel
 * sees the stack's transmitted frames as received and vice versa; directions are told apart by
 * the Ethernet source (the host's MAC), and the stack's pcapng direction flags must agree.
 */
class CaptureIdentityIT {
    static Netns ns;
    static Host host;
    static Path dir;
    static Path stackFile, cliFile, kernelFile;

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("capture-identity");
        stackFile = dir.resolve("stack.pcapng");
        cliFile = dir.resolve("cli.pcap");
        kernelFile = dir.resolve("kernel.pcap");
        ns = Traffic.namespace("capid");
        List<String> args = new ArrayList<>(List.of(Traffic.HOST_ARGS));
        args.addAll(List.of("--capture", "", "--capture-file", stackFile.toString()));
        host = Host.start(ns, args.toArray(String[]::new));
    }

    @AfterAll
    static void down() throws IOException {
        try {
            if (host != null) {
                host.stop();
            }
        } finally {
            if (ns != null) {
                ns.close();
            }
            if (dir != null) {
                try (var s = Files.list(dir)) {
                    for (Path p : s.toList()) {
                        Files.deleteIfExists(p);
                    }
                }
                Files.deleteIfExists(dir);
            }
        }
    }

    /** Starts a child process, waits (bounded) for a line containing {@code ready} on its stdout. */
    static final StringBuilder childOutput = new StringBuilder();

    static Process startAndWait(List<String> cmd, String ready, Path log) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + 30_000_000_000L;
        StringBuilder seen = new StringBuilder();
        Thread t = new Thread(() -> {
            try {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (seen) {
                        seen.append(line).append('\n');
                    }
                    synchronized (childOutput) {
                        childOutput.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // ended
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
        while (System.nanoTime() < deadline) {
            synchronized (seen) {
                if (seen.indexOf(ready) >= 0) {
                    return p;
                }
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(50);
        }
        p.destroyForcibly();
        throw new AssertionError("child did not say '" + ready + "': " + cmd + "\n" + seen);
    }

    static List<CaptureRecord> read(Path p) throws IOException {
        try (CaptureFileReader in = new CaptureFileReader(Files.newInputStream(p))) {
            return in.readAll();
        }
    }

    static boolean fromHost(CaptureRecord r) {
        byte[] d = r.data();
        byte[] mac = HexFormat.ofDelimiter(":").parseHex(Traffic.HOST_MAC);
        return d.length >= 12 && Arrays.equals(d, 6, 12, mac, 0, 6);
    }

    static List<byte[]> direction(List<CaptureRecord> rs, boolean sentByHost) {
        List<byte[]> out = new ArrayList<>();
        for (CaptureRecord r : rs) {
            if (fromHost(r) == sentByHost) {
                out.add(r.data());
            }
        }
        return out;
    }

    /** Asserts that {@code part} occurs in {@code whole} as one contiguous run, identical frame by frame. */
    static void assertContiguousRun(String what, List<byte[]> part, List<byte[]> whole) {
        assertTrue(!part.isEmpty(), what + ": nothing captured");
        for (int start = 0; start + part.size() <= whole.size(); start++) {
            boolean ok = true;
            for (int i = 0; i < part.size() && ok; i++) {
                ok = Arrays.equals(part.get(i), whole.get(start + i));
            }
            if (ok) {
                return;
            }
        }
        // explain the first difference from the best starting point
        int best = -1, bestLen = -1;
        for (int start = 0; start < whole.size(); start++) {
            int n = 0;
            while (n < part.size() && start + n < whole.size() && Arrays.equals(part.get(n), whole.get(start + n))) {
                n++;
            }
            if (n > bestLen) {
                bestLen = n;
                best = start;
            }
        }
        fail(what + ": the " + part.size() + " frames are not one run of the " + whole.size() + " frames; longest match "
                + bestLen + " from index " + best + "; first differing frame:\n  part:  "
                + (bestLen < part.size() ? HexFormat.of().formatHex(part.get(bestLen)) : "-") + "\n  whole: "
                + (best + bestLen < whole.size() ? HexFormat.of().formatHex(whole.get(best + bestLen)) : "-"));
    }

    @Test
    void kernelSideAndStackTapSeeTheSameFramesInTheSameOrder() throws Exception {
        // kernel side: Pcap4J in the namespace
        List<String> dump = new ArrayList<>(ns.prefix());
        dump.addAll(List.of("java", "-Xmx256m", "-cp", System.getProperty("java.class.path"), PcapDump.class.getName(),
                ns.tap, kernelFile.toString(), "120"));
        Process kernel = startAndWait(dump, "listening on", null);
        // stack side, second view: tapstack capture over the control socket
        Process cli = new ProcessBuilder("java", "-Xmx256m", "-jar", Host.jar().toString(), "capture", "--host",
                host.controlSocket().toString(), "-f", "", "-w", cliFile.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("cli.log").toFile()).start();
        try {
            for (int i = 0; i < 100 && (!Files.exists(cliFile) || Files.size(cliFile) < 24); i++) {
                Thread.sleep(100);
            }
            List<String> done = Traffic.mix(ns, 30);
            System.out.println("traffic: " + done);
            Thread.sleep(300); // let the last replies reach every capture
        } finally {
            cli.toHandle().destroy(); // SIGTERM: ends cleanly
            if (!cli.waitFor(15, TimeUnit.SECONDS)) {
                cli.destroyForcibly();
            }
            kernel.getOutputStream().close(); // EOF on its stdin: stop
            if (!kernel.waitFor(30, TimeUnit.SECONDS)) {
                kernel.destroyForcibly();
                fail("Pcap4J capture did not stop");
            }
        }
        System.out.print("Pcap4J child: " + childOutput);
        // libpcap's ring must not have dropped anything (it did with the default 2 MB buffer: in
        // immediate mode with snaplen 262144 each ring block holds few frames)
        assertTrue(childOutput.toString().contains(" dropped 0 ifdropped 0"), childOutput.toString());
        assertEquals(0, cli.exitValue(), "tapstack capture exit code: " + Files.readString(dir.resolve("cli.log")));
        assertEquals(0, host.stop(), host.output());

        List<CaptureRecord> stack = read(stackFile), viaCli = read(cliFile), seenByKernel = read(kernelFile);
        System.out.printf("frames: stack --capture-file %d, tapstack capture %d, kernel-side Pcap4J %d%n",
                stack.size(), viaCli.size(), seenByKernel.size());
        for (CaptureRecord r : stack) {
            Direction want = fromHost(r) ? Direction.OUTBOUND : Direction.INBOUND;
            assertEquals(want, r.direction(), "pcapng direction flag of " + HexFormat.of().formatHex(r.data()));
        }
        for (boolean sent : new boolean[] {true, false}) {
            String d = sent ? "host->kernel" : "kernel->host";
            List<byte[]> k = direction(seenByKernel, sent), s = direction(stack, sent), c = direction(viaCli, sent);
            System.out.printf("%s: kernel side %d, stack tap %d, tapstack capture %d%n", d, k.size(), s.size(), c.size());
            assertTrue(k.size() >= 150, d + ": only " + k.size() + " frames seen by the kernel");
            assertContiguousRun(d + " kernel side vs --capture-file", k, s);
            assertContiguousRun(d + " tapstack capture vs --capture-file", c, s);
            assertTrue(c.size() >= k.size() * 9 / 10, d + ": tapstack capture has " + c.size() + " of " + k.size());
        }
        long bytes = seenByKernel.stream().mapToLong(r -> r.data().length).sum();
        assertTrue(bytes > 100_000, "kernel side captured only " + bytes + " bytes");
    }
}
