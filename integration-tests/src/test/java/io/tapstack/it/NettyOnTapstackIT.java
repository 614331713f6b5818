package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An unmodified Netty HTTP server (HttpServerCodec, HttpObjectAggregator and a handler; the
 * benchmarks' {@code netty-http}) on tapstack's Netty transport over a TAP in a namespace,
 * curled by Linux: only its group and channel class differ from the same server on epoll.
 */
class NettyOnTapstackIT {
    static Netns ns;
    static Path www;

    @BeforeAll
    static void up() throws IOException {
        ns = Netns.create("nty", "10.0.0.1/24");
        www = Files.createTempDirectory("netty-www");
        Files.writeString(www.resolve("hello.txt"), "hello from netty on tapstack\n");
        byte[] big = new byte[3 << 20];
        new java.util.Random(4).nextBytes(big);
        Files.write(www.resolve("big.bin"), big);
    }

    @AfterAll
    static void down() throws IOException {
        if (ns != null) {
            ns.close();
        }
        if (www != null) {
            try (var s = Files.list(www)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    Files.delete(p);
                }
            }
            Files.delete(www);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "csum,tso,lro"})
    void curlFetchesFromTheNettyServerOnTapstack(String offload) throws Exception {
        try (BenchServer server = BenchServer.start(ns, "netty-http: ready", "netty-http", "--transport", "tapstack",
                "--tap", ns.tap, "--ipv4", "10.0.0.2/24", "--offload", offload, "--port", "8080", "--root", www.toString())) {
            String out = server.output();
            assertTrue(out.contains("transport=tapstack"), out);
            Sh.Result hello = ns.exec(30, "curl", "-sS", "-m", "20", "--retry", "3", "--retry-connrefused",
                    "http://10.0.0.2:8080/hello.txt");
            assertEquals("hello from netty on tapstack\n", hello.out(), "curl: " + hello.err() + "\nserver:\n" + out);
            // keep-alive: two requests on one connection, and a 3 MiB body through the send ring
            Sh.Result two = ns.exec(60, "curl", "-sS", "-m", "40", "-o", "/dev/null", "-o", "/dev/null",
                    "-w", "%{http_code} %{size_download} %{num_connects}\\n",
                    "http://10.0.0.2:8080/big.bin", "http://10.0.0.2:8080/hello.txt");
            assertEquals("200 3145728 1\n200 29 0\n", two.out(), "curl: " + two.err());
            Sh.Result sum = ns.exec(60, "bash", "-c", "curl -sS -m 40 http://10.0.0.2:8080/big.bin | sha256sum");
            Sh.Result want = Sh.run(30, "sha256sum", www.resolve("big.bin").toString());
            assertEquals(want.out().split(" ")[0], sum.out().split(" ")[0], "the body arrives intact");
            Sh.Result missing = ns.exec(30, "curl", "-s", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}",
                    "http://10.0.0.2:8080/nope");
            assertEquals("404", missing.out());
        }
    }
}
