package io.tapstack.it;

import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10: {@code tapstack trace --host SOCKET --port 80 -w FILE} records the connections of a
 * running host (in its own namespace) live: curls made while it runs are in the file, record by
 * record, and a second client is refused with one line while the first traces.
 */
class TraceLiveIT {
    static Netns ns;
    @TempDir
    static Path dir;

    @BeforeAll
    static void up() {
        ns = Traffic.namespace("tracelive");
    }

    @AfterAll
    static void down() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void curlsMadeWhileTracingAreInTheFile() throws Exception {
        Path out = dir.resolve("live.trace");
        Path log = dir.resolve("live.log");
        try (Host host = Host.start(ns, Traffic.HOST_ARGS)) {
            Process cli = new ProcessBuilder("java", "-Xmx256m", "-jar", Host.jar().toString(), "trace", "--host",
                    host.controlSocket().toString(), "--port", "80", "--seconds", "8", "-w", out.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                // the header arrives once tracing is on
                for (int i = 0; i < 300 && !(Files.exists(out) && Files.size(out) >= 12); i++) {
                    Thread.sleep(100);
                }
                assertTrue(Files.size(out) >= 12, "the trace header arrived");
                Process second = new ProcessBuilder("java", "-Xmx256m", "-jar", Host.jar().toString(), "trace", "--host",
                        host.controlSocket().toString(), "-w", dir.resolve("second.trace").toString())
                        .redirectErrorStream(true).start();
                assertTrue(second.waitFor(30, TimeUnit.SECONDS), "the refused client ends");
                String refused = new String(second.getInputStream().readAllBytes());
                assertEquals(1, second.exitValue(), refused);
                assertTrue(refused.strip().lines().count() == 1 && refused.contains("another client traces"), refused);
                for (int i = 0; i < 3; i++) {
                    Sh.Result r = ns.exec(30, "curl", "-sS", "--max-time", "10", "-o", "/dev/null",
                            "http://" + Traffic.HOST_IP + "/");
                    assertEquals(0, r.exit(), r.err());
                }
                assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "tapstack trace --seconds 8 ends");
            } finally {
                cli.destroyForcibly();
            }
            String said = Files.readString(log);
            assertEquals(0, cli.exitValue(), said);
            assertTrue(said.matches("(?s).*records \\d+ dropped 0.*"), said);
            List<TcpTraceFile.Connection> conns = TcpTraceFile.read(out);
            assertEquals(3, conns.size(), "one traced connection per curl");
            long total = 0;
            for (TcpTraceFile.Connection c : conns) {
                assertTrue(c.endpoints().startsWith(Traffic.HOST_IP + ":80 "), c.endpoints());
                boolean sent = false;
                boolean acked = false;
                for (int i = 0; i < c.count(); i++) {
                    sent |= c.event(i) == TcpTrace.Event.SEND;
                    acked |= c.event(i) == TcpTrace.Event.ACK;
                }
                assertTrue(sent && acked, "the response was sent and ACKed: " + c.count() + " records");
                total += c.count();
            }
            assertTrue(said.contains("records " + total + " dropped 0"), said);
            assertEquals(0, host.stop(), host.output());
        }
    }
}
