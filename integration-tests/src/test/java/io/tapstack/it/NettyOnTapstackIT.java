package io.tapstack.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    static Path benchJar() {
        String j = System.getenv("TAPSTACK_BENCH_JAR");
        Path p = j != null ? Path.of(j) : Path.of("../benchmarks/target/tapstack-bench.jar");
        if (!p.toFile().isFile()) {
            throw new AssertionError("tapstack-bench.jar not found at " + p.toAbsolutePath() + " (build with mvn package)");
        }
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "csum,tso,lro"})
    void curlFetchesFromTheNettyServerOnTapstack(String offload) throws Exception {
        List<String> cmd = new ArrayList<>(ns.prefix());
        cmd.addAll(List.of("java", "-Xmx512m", "-jar", benchJar().toString(), "netty-http", "--transport", "tapstack",
                "--tap", ns.tap, "--ipv4", "10.0.0.2/24", "--offload", offload, "--port", "8080", "--root", www.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuffer out = new StringBuffer();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                    if (line.startsWith("netty-http: ready")) {
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // ended
            }
            ready.countDown();
        });
        reader.setDaemon(true);
        reader.start();
        try {
            assertTrue(ready.await(30, TimeUnit.SECONDS) && p.isAlive(), "server not ready:\n" + out);
            assertTrue(out.toString().contains("transport=tapstack"), out.toString());
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
        } finally {
            p.toHandle().destroy(); // SIGTERM: the server closes its channels and the host
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, p.exitValue(), "server exit; output:\n" + out);
    }
}
