package io.tapstack.it;

import io.tapstack.capture.CaptureFileReader;
import io.tapstack.capture.CaptureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.io.EOFException;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #5: every capture file the stack writes - pcap with microsecond and nanosecond
 * timestamps and pcapng of both resolutions, from {@code run --capture-file} and from
 * {@code tapstack capture -w} - is read by {@code tcpdump -r}, {@code tshark -r} and Pcap4J
 * {@code Pcaps.openOffline} without warnings, with the frame count, timestamps (to the file's
 * resolution) and bytes that {@link CaptureFileReader} reads. And {@code tapstack capture -w - |
 * tcpdump -r -} shows the pings.
 */
class CaptureFilesIT {
    static Netns ns;
    static Path dir;
    /** file -> true if its timestamps are nanoseconds */
    static final Map<Path, Boolean> files = new LinkedHashMap<>();

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("capture-files");
        ns = Traffic.namespace("capfiles");
        // one host per --capture-file flavour, one after the other on the same TAP
        String[][] flavours = {{"run-nano.pcap", "nano"}, {"run-micro.pcap", "micro"}, {"run-nano.pcapng", "nano"},
                {"run-micro.pcapng", "micro"}};
        for (int i = 0; i < flavours.length; i++) {
            Path f = dir.resolve(flavours[i][0]);
            List<String> args = new ArrayList<>(List.of(Traffic.HOST_ARGS));
            args.addAll(List.of("--capture", "", "--capture-file", f.toString(), "--time-stamp-precision", flavours[i][1]));
            try (Host host = Host.start(ns, args.toArray(String[]::new))) {
                List<Process> clis = new ArrayList<>();
                if (i == 0) {
                    // and every flavour of 'tapstack capture -w' at the same time, 10 frames each
                    for (String[] c : new String[][] {{"cli-nano.pcap", "pcap", "nano"}, {"cli-micro.pcap", "pcap", "micro"},
                            {"cli-nano.pcapng", "pcapng", "nano"}, {"cli-micro.pcapng", "pcapng", "micro"}}) {
                        Path out = dir.resolve(c[0]);
                        clis.add(new ProcessBuilder("java", "-Xmx256m", "-jar", Host.jar().toString(), "capture", "--host",
                                host.controlSocket().toString(), "-f", "icmp or icmp6", "-c", "10", "--format", c[1],
                                "--time-stamp-precision", c[2], "-w", out.toString())
                                .redirectErrorStream(true).redirectOutput(dir.resolve(c[0] + ".log").toFile()).start());
                        files.put(out, c[2].equals("nano"));
                    }
                    // the clients are attached once the host has sent them the file header
                    for (Path out : files.keySet()) {
                        waitFor(() -> Files.exists(out) && Files.size(out) >= 24, "header of " + out);
                    }
                }
                Traffic.ping(ns, "-4", Traffic.HOST_IP, 3, 56);
                Traffic.ping(ns, "-6", Traffic.HOST_IP6, 3, 56);
                Sh.Result r = ns.exec(30, "curl", "-sS", "--max-time", "10", "-o", "/dev/null", "http://" + Traffic.HOST_IP + "/");
                assertEquals(0, r.exit(), r.err());
                for (Process p : clis) {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new AssertionError("tapstack capture -c 10 did not end");
                    }
                    assertEquals(0, p.exitValue());
                }
                assertEquals(0, host.stop(), host.output());
            }
            files.put(f, flavours[i][1].equals("nano"));
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check c, String what) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (c.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    @AfterAll
    static void down() throws IOException {
        try {
            if (ns != null) {
                ns.close();
            }
        } finally {
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

    static List<CaptureRecord> ours(Path f) throws IOException {
        try (CaptureFileReader in = new CaptureFileReader(Files.newInputStream(f))) {
            return in.readAll();
        }
    }

    /** "1715000000.123456789" (or 6 digits) to nanoseconds. */
    static long nanos(String epoch) {
        return new BigDecimal(epoch.trim()).movePointRight(9).longValueExact();
    }

    static String stderrWithoutBanner(String err, Path f) {
        // tcpdump's informational line; anything else is a warning
        return err.lines().filter(l -> !l.startsWith("reading from file " + f)).reduce("", (a, b) -> a + b + "\n");
    }

    @Test
    void tcpdumpTsharkAndPcap4jReadEveryFileAlike() throws Exception {
        assertEquals(8, files.size(), files.toString());
        for (Map.Entry<Path, Boolean> e : files.entrySet()) {
            Path f = e.getKey();
            boolean nano = e.getValue();
            String name = f.getFileName().toString();
            List<CaptureRecord> recs = ours(f);
            if (name.startsWith("cli-")) {
                assertEquals(10, recs.size(), name + ": tapstack capture -c 10 wrote " + recs.size() + " frames");
            }
            assertTrue(recs.size() >= 10, name + ": " + recs.size() + " frames");
            long[] want = recs.stream().mapToLong(CaptureRecord::timestampNanos).toArray();
            for (long t : want) {
                if (!nano) {
                    assertEquals(0, t % 1000, name + ": a microsecond file read back with sub-microsecond digits");
                }
            }
            assertTrue(Arrays.stream(want).anyMatch(t -> t % 1000 != 0) == nano,
                    name + ": nanosecond digits " + (nano ? "missing" : "present"));

            // tcpdump: -tt prints seconds.micro; --nano seconds.nano (libpcap converts as asked)
            List<String> cmd = new ArrayList<>(List.of("tcpdump", "-n", "-tt", "-r", f.toString()));
            if (nano) {
                cmd.add(1, "--nano");
            }
            Sh.Result td = Sh.run(60, cmd).ok();
            assertEquals("", stderrWithoutBanner(td.err(), f), name + ": tcpdump warnings");
            List<String> lines = td.out().lines().toList();
            assertEquals(recs.size(), lines.size(), name + ": tcpdump frame count\n" + td.out());
            for (int i = 0; i < lines.size(); i++) {
                String ts = lines.get(i).substring(0, lines.get(i).indexOf(' '));
                assertEquals(nano ? 9 : 6, ts.length() - ts.indexOf('.') - 1, name + ": " + lines.get(i));
                assertEquals(want[i], nanos(ts), name + " frame " + (i + 1) + " tcpdump: " + lines.get(i));
            }

            // tshark: epoch time with nanosecond digits, frame length
            Sh.Result ts = Sh.run(60, "tshark", "-n", "-r", f.toString(), "-T", "fields", "-e", "frame.time_epoch",
                    "-e", "frame.len", "-e", "frame.cap_len").ok();
            // tshark warns about running as root; that is about us, not the file
            String tsErr = ts.err().lines().filter(l -> !l.startsWith("Running as user \"root\"")).reduce("", (a, b) -> a + b + "\n");
            assertEquals("", tsErr.trim(), name + ": tshark warnings");
            List<String> tl = ts.out().lines().toList();
            assertEquals(recs.size(), tl.size(), name + ": tshark frame count");
            for (int i = 0; i < tl.size(); i++) {
                String[] col = tl.get(i).split("\t");
                assertEquals(want[i], nanos(col[0]), name + " frame " + (i + 1) + " tshark: " + tl.get(i));
                assertEquals(recs.get(i).wireLength(), Integer.parseInt(col[1]), name + " frame " + (i + 1) + " len");
                assertEquals(recs.get(i).data().length, Integer.parseInt(col[2]), name + " frame " + (i + 1) + " caplen");
            }

            // Pcap4J (libpcap's reader), nanosecond precision asked
            int n = 0;
            try (PcapHandle h = Pcaps.openOffline(f.toString(), PcapHandle.TimestampPrecision.NANO)) {
                while (true) {
                    byte[] p;
                    try {
                        p = h.getNextRawPacketEx();
                    } catch (EOFException eof) {
                        break;
                    }
                    assertTrue(n < recs.size(), name + ": Pcap4J reads more frames than we do");
                    java.sql.Timestamp t = h.getTimestamp();
                    long got = Math.floorDiv(t.getTime(), 1000L) * 1_000_000_000L + t.getNanos();
                    assertEquals(want[n], got, name + " frame " + (n + 1) + " Pcap4J timestamp");
                    assertArrayEquals(recs.get(n).data(), p, name + " frame " + (n + 1) + " Pcap4J bytes");
                    n++;
                }
            }
            assertEquals(recs.size(), n, name + ": Pcap4J frame count");
            System.out.printf("%s: %d frames, tcpdump/tshark/Pcap4J agree%n", name, recs.size());
        }
    }

    @Test
    void captureToStdoutPipesIntoTcpdump() throws Exception {
        Path f = dir.resolve("pipe.pcap");
        List<String> args = new ArrayList<>(List.of(Traffic.HOST_ARGS));
        try (Host host = Host.start(ns, args.toArray(String[]::new))) {
            String pipe = "java -Xmx256m -jar '" + Host.jar() + "' capture --host '" + host.controlSocket()
                    + "' -f icmp -c 6 -w - | tcpdump -n -r -";
            Process p = new ProcessBuilder("timeout", "60", "sh", "-c", pipe).redirectErrorStream(false)
                    .redirectOutput(f.toFile()).redirectError(dir.resolve("pipe.err").toFile()).start();
            Path err = dir.resolve("pipe.err");
            waitFor(() -> Files.readString(err).contains("reading from file -"), "tcpdump reading the pipe");
            Traffic.ping(ns, "-4", Traffic.HOST_IP, 3, 56);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pipe did not end");
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("pipe.err")));
            String out = Files.readString(f);
            System.out.print("pipe:\n" + out);
            assertEquals(3, out.lines().filter(l -> l.contains(Traffic.KERNEL_IP + " > " + Traffic.HOST_IP + ": ICMP echo request")).count(), out);
            assertEquals(3, out.lines().filter(l -> l.contains(Traffic.HOST_IP + " > " + Traffic.KERNEL_IP + ": ICMP echo reply")).count(), out);
            assertTrue(Files.readString(dir.resolve("pipe.err")).contains("reading from file -"));
        }
    }
}
