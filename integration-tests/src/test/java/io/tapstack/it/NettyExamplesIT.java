package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's HTTP/2 (h2c) and WebSocket servers ({@code tapstack-bench netty-example}: Netty's own
 * codecs, nothing tapstack-specific beyond the group and channel class) on tapstack over a TAP
 * in a namespace, talked to by Linux clients: curl with {@code --http2-prior-knowledge} and
 * nghttp (several streams on one connection) for h2c, a standard-library Python WebSocket client.
 */
class NettyExamplesIT {
    static Netns ns;

    @BeforeAll
    static void up() {
        ns = Netns.create("nex", "10.0.0.1/24");
    }

    @AfterAll
    static void down() {
        if (ns != null) {
            ns.close();
        }
    }

    private static BenchServer example(String which) throws Exception {
        BenchServer s = BenchServer.start(ns, "netty-example: ready", "netty-example", which, "--transport", "tapstack",
                "--tap", ns.tap, "--ipv4", "10.0.0.2/24", "--offload", "csum,tso,lro", "--port", "8080");
        assertTrue(s.output().contains("transport=tapstack"), s.output());
        return s;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void http2WithPriorKnowledgeFromCurlAndNghttp() throws Exception {
        try (BenchServer server = example("h2c")) {
            Sh.Result hello = ns.exec(30, "curl", "-sS", "-m", "20", "--retry", "3", "--retry-connrefused",
                    "--http2-prior-knowledge", "-w", "%{http_version} %{http_code}\\n", "http://10.0.0.2:8080/");
            assertEquals("hello over h2c, stream 1\n2 200\n", hello.out(), "curl: " + hello.err() + "\nserver:\n" + server.output());

            // 3 MB down: far beyond HTTP/2's initial 64 KiB window (RFC 9113 §6.9.2) and the send ring
            int n = 3_000_000;
            byte[] want = new byte[n];
            for (int i = 0; i < n; i++) {
                want[i] = (byte) (i % 251);
            }
            Sh.Result down = ns.exec(60, "bash", "-c",
                    "curl -sS -m 40 --http2-prior-knowledge http://10.0.0.2:8080/bytes/" + n + " | sha256sum");
            assertEquals(sha256(want), down.out().split(" ")[0], "the body arrives intact: " + down.err());

            // 1 MB up: the server digests what arrives, so both sides' flow control and window updates work
            byte[] up = new byte[1_000_000];
            new Random(13).nextBytes(up);
            Path f = Files.createTempFile("h2c-up", ".bin");
            Sh.Result post;
            try {
                Files.write(f, up);
                post = ns.exec(60, "curl", "-sS", "-m", "40", "--http2-prior-knowledge", "--data-binary", "@" + f,
                        "http://10.0.0.2:8080/upload");
            } finally {
                Files.delete(f);
            }
            assertEquals("received 1000000 bytes sha256 " + sha256(up) + "\n", post.out(), "curl: " + post.err());

            // two requests multiplexed on one connection: stream ids of one connection differ
            // (nghttp; curl 7.88 cannot reuse a prior-knowledge connection, curl PR #10643)
            Sh.Result two = ns.exec(30, "nghttp", "http://10.0.0.2:8080/a", "http://10.0.0.2:8080/b");
            Matcher m = Pattern.compile("hello over h2c, stream (\\d+)").matcher(two.out());
            assertTrue(m.find(), "nghttp: " + two.out() + two.err());
            String first = m.group(1);
            assertTrue(m.find(), "nghttp: " + two.out() + two.err());
            assertNotEquals(first, m.group(1), "two streams on one connection: " + two.out());
        }
    }

    @Test
    void webSocketEchoForAPythonClient() throws Exception {
        Path client = Path.of(NettyExamplesIT.class.getResource("/ws_client.py").toURI());
        try (BenchServer server = example("websocket")) {
            Sh.Result ws = ns.exec(60, "python3", client.toString(), "10.0.0.2", "8080");
            assertEquals("101 accept-ok\n1 echo: hello tapstack\n2 262144 True\n8 1000\n", ws.out(),
                    "client: " + ws.err() + "\nserver:\n" + server.output());
            Sh.Result other = ns.exec(30, "curl", "-sS", "-m", "20", "-w", "%{http_code}", "http://10.0.0.2:8080/other");
            assertEquals("websocket at /ws\n404", other.out(), "curl: " + other.err());
        }
    }
}
