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
    record Outcome(int code, String out, String err) {
    }

    /** Runs the command line as a user would, capturing its output (also used by ExtcapCommandTest). */
    static Outcome run(String... args) {
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
    void badTraceOptions() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--tcp-rmem", "1k"), "--tcp-rmem sizes must be 4k..64m");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--tcp-rmem", "256k,4m,8m"), "SIZE,MAX");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--tcp-wmem", "1g"), "--tcp-wmem sizes must be 4k..64m");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--tcp-wmem", "lots"), "not a size");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--trace-tcp", "70000"), "--trace-tcp");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--trace-file", "x.trace"), "--trace-file needs");
    }

    @Test
    void malformedMacAndGateway() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mac", "zz:00:00:00:00:01"), "MAC");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mac", "01:00:00:00:00:01"), "unicast");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--gateway", "192.168.1.1"), "not on any --ipv4 subnet");
    }

    @Test
    void dhcpAndDnsOptions() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "dhcp", "--queues", "2"), "one queue only");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "dhcp", "--dhcp-timeout", "0"), "--dhcp-timeout");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--dns", "nameserver"), "--dns");
        assertOneLineError(run("resolve", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--dns", "10.0.0.300", "x.test"), "--dns");
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
    void badMemLimit() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mem-limit", "8x"), "is not a size");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mem-limit", "-1m"), "is not a size");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mem-limit", "m"), "is not a size");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mem-limit", "1k"), "--mem-limit must be at least 64k");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--mem-limit", "9999999999g"), "too large");
    }

    @Test
    void memLimitSizes() {
        assertEquals(8L << 20, Converters.Size.parse("8m"));
        assertEquals(512L << 10, Converters.Size.parse("512K"));
        assertEquals(2L << 30, Converters.Size.parse("2g"));
        assertEquals(100_000L, Converters.Size.parse("100000"));
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

    @Test
    void eachFurtherTapTakesTheInterfaceOptionsAfterIt() {
        RunCommand.Split sp = RunCommand.split(new String[] {"run", "--tap", "t0", "--ipv4", "10.1.0.1/24", "--forward",
            "--tap", "t1", "--ipv4=10.2.0.1/24", "--mtu", "1280", "--no-ipv6", "--route", "10.9.0.0/16", "via", "10.1.0.3",
            "--idle", "sleep", "--tap", "t2", "--offload", "none"});
        assertEquals(java.util.List.of("run", "--tap", "t0", "--ipv4", "10.1.0.1/24", "--forward",
                "--route", "10.9.0.0/16", "via", "10.1.0.3", "--idle", "sleep"), java.util.List.of(sp.head()));
        assertEquals(2, sp.interfaces().size());
        assertEquals(java.util.List.of("--tap", "t1", "--ipv4=10.2.0.1/24", "--mtu", "1280", "--no-ipv6"), sp.interfaces().get(0));
        assertEquals(java.util.List.of("--tap", "t2", "--offload", "none"), sp.interfaces().get(1));
        // one --tap: nothing moves
        assertEquals(0, RunCommand.split(new String[] {"run", "--tap", "t0", "--ipv4", "10.0.0.2/24"}).interfaces().size());
    }

    @Test
    void badRoutesAndInterfacesAreOneLine() {
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--route", "10.9.0.0/16", "through", "10.0.0.1"),
                "expected PREFIX via GATEWAY");
        assertOneLineError(run("run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--route", "10.9.0.0/99", "via", "10.0.0.1"), "--route");
        RunCommand.Split sp = RunCommand.split(new String[] {"run", "--tap", "t0", "--ipv4", "10.0.0.2/24", "--tap", "t1", "--ipv4", "300.0.0.1/24"});
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        ((RunCommand) cl.getSubcommands().get("run").getCommand()).moreInterfaces = sp.interfaces();
        assertTrue(cl.execute(sp.head()) != 0);
        assertTrue(err.toString().contains("interface t1") && err.toString().contains("300.0.0.1"), err.toString());
    }
}
