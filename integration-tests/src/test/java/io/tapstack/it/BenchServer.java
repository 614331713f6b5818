package io.tapstack.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server of {@code tapstack-bench.jar} (netty-http, netty-example) in a namespace: started, its
 * ready line awaited, stopped with SIGTERM and its exit status checked.
 */
final class BenchServer implements AutoCloseable {
    private final Process process;
    private final StringBuffer out = new StringBuffer();
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean sawReady;

    static Path jar() {
        String j = System.getenv("TAPSTACK_BENCH_JAR");
        Path p = j != null ? Path.of(j) : Path.of("../benchmarks/target/tapstack-bench.jar");
        if (!p.toFile().isFile()) {
            throw new AssertionError("tapstack-bench.jar not found at " + p.toAbsolutePath() + " (build with mvn package)");
        }
        return p;
    }

    /** Starts {@code java -jar tapstack-bench.jar ARGS...} in {@code ns}; waits up to 30 s for a line starting with {@code readyPrefix}. */
    static BenchServer start(Netns ns, String readyPrefix, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ns.prefix());
        cmd.addAll(List.of("java", "-Xmx512m", "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        BenchServer s = new BenchServer(new ProcessBuilder(cmd).redirectErrorStream(true).start(), readyPrefix);
        if (!s.ready.await(30, TimeUnit.SECONDS) || !s.sawReady || !s.process.isAlive()) {
            s.process.destroyForcibly();
            throw new AssertionError("server not ready:\n" + s.out);
        }
        return s;
    }

    private BenchServer(Process p, String readyPrefix) {
        this.process = p;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.append(line).append('\n');
                    if (line.startsWith(readyPrefix)) {
                        sawReady = true;
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
    }

    String output() {
        return out.toString();
    }

    /** SIGTERM (the server closes its channels and its host), then checks that it exited 0. */
    @Override
    public void close() throws InterruptedException {
        process.toHandle().destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        assertEquals(0, process.exitValue(), "server exit; output:\n" + out);
    }
}
