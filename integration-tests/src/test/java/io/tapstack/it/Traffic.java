package io.tapstack.it;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel-side client traffic against a host started with {@link #HOST_ARGS} in a namespace made by
 * {@link #namespace}: ping, ping -6, curl over both families, UDP and TCP echo, arping. Every
 * command is bounded in count and time and addresses only the host inside the namespace.
 */
final class Traffic {
    static final String HOST_IP = "10.0.0.2";
    static final String KERNEL_IP = "10.0.0.1";
    static final String HOST_IP6 = "fd00::2";
    static final String KERNEL_IP6 = "fd00::1";
    static final String HOST_MAC = "02:00:00:00:00:02";
    static final String[] HOST_ARGS = {"--ipv4", HOST_IP + "/24", "--ipv6", HOST_IP6 + "/64", "--mac", HOST_MAC,
            "--services", "echo,http"};

    private Traffic() {
    }

    /** A namespace whose TAP has 10.0.0.1/24 and fd00::1/64 on the kernel side. */
    static Netns namespace(String tag) {
        Netns ns = Netns.create(tag, KERNEL_IP + "/24");
        try {
            ns.ip("addr", "add", KERNEL_IP6 + "/64", "dev", ns.tap, "nodad");
        } catch (RuntimeException | AssertionError e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    static Path script(String name) {
        try {
            return Path.of(Traffic.class.getResource("/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** One round of everything; {@code n} scales the counts. Returns what each client printed. */
    static List<String> mix(Netns ns, int n) {
        List<String> out = new ArrayList<>();
        out.add(ping(ns, "-4", HOST_IP, n, 56));
        out.add(ping(ns, "-4", HOST_IP, Math.max(1, n / 4), 3000)); // fragmented both ways
        out.add(ping(ns, "-6", HOST_IP6, n, 56));
        out.add(ping(ns, "-6", HOST_IP6, Math.max(1, n / 4), 1400));
        for (String url : new String[] {"http://" + HOST_IP + "/", "http://[" + HOST_IP6 + "]/"}) {
            Sh.Result r = ns.exec(30, "curl", "-sS", "-g", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", url);
            assertEquals("200", r.out().trim(), "curl " + url + ": " + r.out() + r.err());
            out.add("curl " + url + " " + r.out());
        }
        for (String addr : new String[] {HOST_IP, HOST_IP6}) {
            for (String mode : new String[] {"udpecho", "tcpecho"}) {
                Sh.Result r = ns.exec(60, "/usr/bin/python3", script("traffic.py").toString(), mode, addr, String.valueOf(n));
                assertEquals(0, r.exit(), r.out() + r.err());
                assertTrue(r.out().contains(mode + " " + n + "/" + n), r.out());
                out.add(r.out().trim());
            }
        }
        Sh.Result a = ns.exec(20, "arping", "-c", "2", "-w", "5", "-I", ns.tap, HOST_IP);
        assertEquals(0, a.exit(), a.out() + a.err());
        out.add("arping ok");
        return out;
    }

    static String ping(Netns ns, String family, String addr, int count, int size) {
        Sh.Result r = ns.exec(60, "ping", family, "-c", String.valueOf(count), "-i", "0.01", "-W", "2", "-s",
                String.valueOf(size), addr);
        assertTrue(r.out().contains(" 0% packet loss"), "ping " + family + " " + addr + ":\n" + r.out() + r.err());
        return "ping " + family + " -s " + size + " " + count + " ok";
    }
}
