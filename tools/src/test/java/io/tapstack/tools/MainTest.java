package io.tapstack.tools;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A user mistake gets one line and a non-zero exit, never a stack trace. */
class MainTest {
    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static void assertOneLineError(Outcome o, String fragment) {
        assertTrue(o.code != 0, "exit code should be non-zero");
        String err = o.err.strip();
        assertEquals(1, err.lines().count(), "exactly one line on stderr, got:\n" + o.err);
        assertTrue(err.startsWith("tapstack: "), err);
        assertTrue(err.contains(fragment), "'" + fragment + "' in: " + err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void unknownOption() {
        Outcome o = run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--frobnicate");
        assertEquals(Main.EXIT_USAGE, o.code);
        assertOneLineError(o, "--frobnicate");
    }

    @Test
    void malformedAddress() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.300/24"), "10.0.0.300");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2"), "ADDR/LEN");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/33"), "prefix length");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "224.0.0.1/24"), "not a usable unicast");
    }

    @Test
    void malformedMacAndGateway() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mac", "zz:00:00:00:00:01"), "MAC");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mac", "01:00:00:00:00:01"), "unicast");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--gateway", "192.168.1.1"), "not on any --ipv4 subnet");
    }

    @Test
    void missingRequired() {
        assertOneLineError(run("run", "--ipv4", "10.0.0.2/24"), "--tap");
        assertOneLineError(run("run", "--tap", "t0"), "--ipv4");
    }

    @Test
    void badNumbers() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mtu", "abc"), "--mtu");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mtu", "100"), "out of range");
    }

    @Test
    void badEcnMode() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--ecn", "maybe"), "--ecn must be on, passive or off");
        assertOneLineError(run("get", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--ecn", "ON", "http://10.0.0.1/"), "--ecn");
    }

    @Test
    void unknownService() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--services", "gopher"), "unknown service 'gopher'");
    }

    @Test
    void statWithoutHost() {
        assertOneLineError(run("stat", "--host", "/nonexistent/tapstack.sock"), "no running host");
    }

    @Test
    void versionAndHelp() {
        Outcome v = run("--version");
        assertEquals(0, v.code);
        assertTrue(v.out.startsWith("tapstack "), v.out);
        Outcome h = run("help", "run");
        assertEquals(0, h.code);
        assertTrue(h.out.contains("--ipv4"), h.out);
    }
}
