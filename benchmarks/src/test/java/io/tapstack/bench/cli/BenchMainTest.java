package io.tapstack.bench.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark jar's command line: its subcommands, and one-line errors for user mistakes. */
class BenchMainTest {
    private record Outcome(int code, String out, String err) {
    }

    private static Outcome run(String... args) {
        CommandLine cl = BenchMain.commandLine();
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
        assertTrue(err.startsWith("tapstack-bench: "), err);
        assertTrue(err.contains(fragment), "'" + fragment + "' in: " + err);
        assertFalse(err.contains("Exception"), err);
    }

    @Test
    void helpListsTheSubcommands() {
        Outcome o = run();
        assertEquals(0, o.code);
        assertTrue(o.out.contains("netty-http") && o.out.contains("rr") && o.out.contains("jmh"), o.out);
        Outcome h = run("help", "netty-http");
        assertEquals(0, h.code);
        assertTrue(h.out.contains("--echo-port"), h.out);
        assertTrue(run("--version").out.startsWith("tapstack-bench "));
    }

    @Test
    void userMistakes() {
        assertOneLineError(run("rr"), "--host");
        assertOneLineError(run("rr", "--host", "127.0.0.1", "--seconds", "0"), "--seconds");
        assertOneLineError(run("netty-http", "--root", "/nonexistent/dir"), "not a directory");
        assertEquals(BenchMain.EXIT_USAGE, run("frobnicate").code);
        // --idle: refused before any TAP is opened (the name below is never created)
        String root = System.getProperty("java.io.tmpdir");
        assertOneLineError(run("netty-http", "--root", root, "--idle", "sleep"), "--transport tapstack");
        assertOneLineError(run("netty-http", "--root", root, "--transport", "tapstack", "--tap", "tsbt-none0",
                "--ipv4", "10.9.9.2/24", "--idle", "fast"), "hybrid or sleep");
    }

    @Test
    void jmhListsTheMicroBenchmarks() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        Outcome o;
        try {
            o = run("jmh", "-l");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, o.code, o.err);
        String list = buf.toString(StandardCharsets.UTF_8);
        for (String b : new String[] {"WireBench", "BpfBench", "TcpInputBench", "TimerWheelBench", "IcmpEchoBench"}) {
            assertTrue(list.contains("io.tapstack.bench." + b + "."), b + " in:\n" + list);
        }
    }
}
