package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hosts started one after another on the same TAP with different offload settings: each must
 * work whatever the previous one left on the device. A host with offloads switches on the
 * TAP's checksum offload and TSO (TUNSETOFFLOAD); a later host without the virtio-net header
 * must switch them off again, or the kernel hands it frames with partial checksums (every
 * SYN then fails the checksum check and is dropped).
 */
class TapRestartIT {
    static Netns ns;

    @BeforeAll
    static void up() {
        ns = Netns.create("rst", "10.0.0.1/24");
    }

    @AfterAll
    static void down() {
        if (ns != null) {
            ns.close();
        }
    }

    /** {@code offload} null: no --offload flag, the default (the fastest set the TAP accepts). */
    private static void exercise(String offload) {
        Host host = offload == null
                ? Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6", "--services", "echo,http")
                : Host.start(ns, "--ipv4", "10.0.0.2/24", "--no-ipv6", "--offload", offload, "--services", "echo,http");
        String expected = offload == null ? "csum,tso,lro" : offload;
        try {
            assertTrue(java.util.regex.Pattern.compile(" offload=" + java.util.regex.Pattern.quote(expected) + "( |$)")
                    .matcher(host.readyLine()).find(), host.readyLine());
            Sh.Result echo = ns.exec(20, "bash", "-c", "echo again-" + offload + " | nc -q1 -w5 10.0.0.2 7");
            assertEquals("again-" + offload, echo.out().strip(), "TCP echo with --offload " + offload + ": " + echo.err());
            Sh.Result get = ns.exec(30, "curl", "-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}", "http://10.0.0.2/");
            assertEquals("200", get.out().strip(), "curl with --offload " + offload + ": " + get.err());
        } finally {
            assertEquals(0, host.stop(), host.output());
        }
        long badChecksums = host.counters().getOrDefault("tcp.drop_bad_checksum", 0L);
        assertEquals(0L, badChecksums, "segments dropped for a bad checksum with --offload " + offload);
    }

    @Test
    void restartingWithOtherOffloadsOnTheSameTapJustWorks() {
        exercise("csum,tso,lro");
        exercise("none");
        exercise(null); // the default takes every offload this kernel's TAP has
        exercise("none");
        exercise("csum");
        exercise("none");
    }
}
