package io.tapstack.tools;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tapstack extcap} as Wireshark calls it (extcap(4)), against a stand-in for a host's
 * control socket; ExtcapIT runs it under tshark against a real host.
 */
class ExtcapCommandTest {
    private Path dir;
    private ServerSocketChannel host;

    private static MainTest.Outcome run(String... args) {
        return MainTest.run(args);
    }

    @BeforeEach
    void liveAndStaleSockets() throws IOException {
        dir = Files.createTempDirectory("extcap");
        host = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        host.bind(UnixDomainSocketAddress.of(dir.resolve("tap7.sock")));
        // a stale socket file: a host that is gone
        ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        gone.bind(UnixDomainSocketAddress.of(dir.resolve("gone.sock")));
        gone.close();
    }

    @AfterEach
    void cleanUp() throws IOException {
        host.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void listsLiveHostsOnly() {
        MainTest.Outcome o = run("extcap", "--control-dir", dir.toString(), "--extcap-interfaces", "--extcap-version=4.0.17");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().startsWith("extcap {version="), o.out());
        assertTrue(o.out().contains("interface {value=tapstack-tap7}{display=tapstack host tap7}\n"), o.out());
        assertTrue(!o.out().contains("gone"), o.out());
    }

    @Test
    void ethernetLinkTypeAndSnaplenOption() {
        MainTest.Outcome o = run("extcap", "--control-dir", dir.toString(), "--extcap-dlts", "--extcap-interface", "tapstack-tap7");
        assertEquals("dlt {number=1}{name=EN10MB}{display=Ethernet}\n", o.out());
        o = run("extcap", "--control-dir", dir.toString(), "--extcap-config", "--extcap-interface", "tapstack-tap7");
        assertTrue(o.out().contains("{call=--snaplen}") && o.out().contains("{type=integer}{range=1,262144}"), o.out());
        o = run("extcap", "--control-dir", dir.toString(), "--extcap-dlts", "--extcap-interface", "tapstack-gone");
        assertEquals(Main.EXIT_FAILURE, o.code());
        assertTrue(o.err().contains("no running host tapstack-gone"), o.err());
    }

    /** Wireshark's filter check: nothing on stdout and exit 0 for a good filter, the error for a bad one. */
    @Test
    void captureFilterIsCheckedByOurCompiler() {
        MainTest.Outcome o = run("extcap", "--control-dir", dir.toString(), "--extcap-interface", "tapstack-tap7",
                "--extcap-capture-filter", "tcp port 80 and ip6 protochain 6");
        assertEquals(0, o.code(), o.err());
        assertEquals("", o.out());
        o = run("extcap", "--control-dir", dir.toString(), "--extcap-interface", "tapstack-tap7", "--extcap-capture-filter", "tcp port eighty");
        assertEquals(Main.EXIT_FAILURE, o.code());
        assertTrue(o.out().contains("unknown port 'eighty'"), o.out());
    }

    /** --capture sends the capture request the host's control socket serves and copies the stream to the FIFO. */
    @Test
    void captureStreamsTheHostsPcapngToTheFifo() throws Exception {
        byte[] stream = "\n\r\r\n-pcapng-bytes-".getBytes(StandardCharsets.US_ASCII);
        CompletableFuture<String> request = CompletableFuture.supplyAsync(() -> {
            // the extcap first probes the socket (connect, close), then sends its request
            for (int conn = 0; conn < 10; conn++) {
                try (SocketChannel c = host.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    while (b.position() == 0 || b.get(b.position() - 1) != '\n') {
                        if (c.read(b) < 0) break;
                    }
                    if (b.position() == 0) continue;
                    c.write(ByteBuffer.wrap(stream));
                    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }
            return "no request";
        });
        Path fifo = dir.resolve("fifo"); // a plain file does here: the extcap only opens and writes it
        MainTest.Outcome o = run("extcap", "--control-dir", dir.toString(), "--capture", "--extcap-interface", "tapstack-tap7",
                "--fifo", fifo.toString(), "--extcap-capture-filter", "tcp port 80", "--snaplen", "128",
                "--extcap-control-in", "/nonexistent", "--debug");
        assertEquals(0, o.code(), o.err());
        assertEquals("capture 128 pcapng 0 tcp port 80\n", request.get(10, TimeUnit.SECONDS));
        assertArrayEquals(stream, Files.readAllBytes(fifo));
    }
}
