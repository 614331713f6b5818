package io.tapstack.it;

import io.tapstack.capture.CaptureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #14: Wireshark's extcap interface. A host runs in a namespace; scripts/install-extcap.sh
 * installs the launcher for a test HOME; {@code tshark -D} must list the host, and {@code tshark -i
 * tapstack-NAME -f 'tcp port 80' -c 20} must capture 20 frames of real HTTP traffic (curl from the
 * kernel side) and nothing else (pings run at the same time), read back from tshark's file.
 *
 * <p>Wireshark 4.2+ reads the personal extcap folder of the test HOME; Debian 12's tshark 4.0
 * reads only its global folder (and ignores WIRESHARK_EXTCAP_DIR as root), so there tshark runs
 * in a private mount namespace ({@code unshare -m}) where the test's folder is bind-mounted over
 * the global one: nothing outside the test process tree sees it, and it goes with the process.
 */
class ExtcapIT {
    static Netns ns;
    static Host host;
    static Path home;
    static String iface;
    static List<String> wrap = new ArrayList<>();

    @BeforeAll
    static void install() throws Exception {
        Netns.requireTapPrivilege();
        Sh.Result v = Sh.run(30, "tshark", "-G", "folders");
        assertEquals(0, v.exit(), "tshark is required (apt-get install tshark): " + v.err());
        ns = Traffic.namespace("extcap");
        host = Host.start(ns, Traffic.HOST_ARGS);
        home = Files.createTempDirectory("extcap-home");
        // the host's control socket, seen from a directory of its own (a symlink: unix sockets follow it)
        Path ctl = Files.createDirectories(home.resolve("ctl"));
        Files.createSymbolicLink(ctl.resolve(ns.name + ".sock"), host.controlSocket().toAbsolutePath());
        iface = "tapstack-" + ns.name;
        String personal = field(v.out(), "Personal Extcap path:");
        Path dir;
        if (personal != null) {
            dir = Path.of(personal.replace(System.getProperty("user.home"), home.toString()));
        } else {
            dir = Files.createDirectories(home.resolve("extcap"));
            String global = field(v.out(), "Extcap path:");
            assertTrue(global != null, v.out());
            wrap.addAll(List.of("unshare", "-m", "sh", "-c", "mount --bind \"$0\" \"$1\" && shift && exec \"$@\"",
                    dir.toString(), global));
        }
        Sh.Result r = Sh.run(60, List.of("env", "HOME=" + home, "../scripts/install-extcap.sh", "--dir", dir.toString(),
                "--jar", Host.jar().toString(), "--control-dir", ctl.toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(Files.isExecutable(dir.resolve("tapstack-extcap")), r.out() + r.err());
    }

    static String field(String folders, String name) {
        for (String line : folders.split("\n")) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).strip();
            }
        }
        return null;
    }

    static List<String> tshark(String... args) {
        List<String> c = new ArrayList<>(wrap);
        c.addAll(List.of("env", "HOME=" + home, "tshark"));
        c.addAll(List.of(args));
        return c;
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (host != null) {
            host.close();
        }
        if (ns != null) {
            ns.close();
        }
        if (home != null) {
            try (Stream<Path> s = Files.walk(home)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void tsharkListsTheRunningHost() {
        Sh.Result r = Sh.run(120, tshark("-D"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains(". " + iface + " (tapstack host " + ns.name + ")"), r.out() + r.err());
    }

    @Test
    void tsharkCapturesTwentyHttpFramesThroughTheFilter() throws Exception {
        Path file = home.resolve("http.pcapng");
        Path out = home.resolve("tshark.out");
        Process p = new ProcessBuilder(tshark("-i", iface, "-f", "tcp port 80", "-c", "20", "-w", file.toString()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // traffic until tshark has its 20 frames: curl (about 10 TCP frames each) and, not to be
            // captured, pings; bounded in count and time
            for (int i = 0; i < 40 && p.isAlive(); i++) {
                ns.exec(20, "curl", "-sS", "--max-time", "5", "-o", "/dev/null", "http://" + Traffic.HOST_IP + "/");
                ns.exec(20, "ping", "-c", "2", "-i", "0.05", "-W", "1", Traffic.HOST_IP);
                if (i > 2) {
                    p.waitFor(500, TimeUnit.MILLISECONDS);
                }
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark did not stop after 20 frames: " + Files.readString(out));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        assertEquals(0, p.exitValue(), Files.readString(out));
        List<CaptureRecord> recs = FilterVerdictIT.read(file);
        assertEquals(20, recs.size(), Files.readString(out));
        for (CaptureRecord rec : recs) {
            byte[] f = rec.data();
            assertTrue(f.length >= 54 && (f[12] & 0xff) == 0x08 && f[13] == 0 && f[23] == 6, "not IPv4/TCP: " + rec);
            int ihl = 4 * (f[14] & 0xf), sport = ((f[14 + ihl] & 0xff) << 8) | (f[15 + ihl] & 0xff);
            int dport = ((f[16 + ihl] & 0xff) << 8) | (f[17 + ihl] & 0xff);
            assertTrue(sport == 80 || dport == 80, "not port 80: " + sport + " > " + dport);
        }
        // and tshark reads the same 20 frames as HTTP/TCP port 80
        Sh.Result r = Sh.run(60, "tshark", "-r", file.toString(), "-Y", "tcp.port == 80", "-T", "fields", "-e", "frame.number").ok();
        assertEquals(20, r.out().strip().lines().count(), r.out());
    }
}
