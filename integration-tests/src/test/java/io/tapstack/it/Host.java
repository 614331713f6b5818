package io.tapstack.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tapstack CLI ({@code tapstack run}) as a child process inside a namespace: started, waited
 * for until it prints its ready line and the TAP shows LOWER_UP, stopped with SIGTERM.
 */
public final class Host implements AutoCloseable {
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Thread reader;
    private volatile String readyLine;
    private Path control;
    private Integer exitCode;

    private Host(Process p) {
        this.process = p;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.startsWith("tapstack: ready")) {
                        readyLine = line;
                        ready.countDown();
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
            ready.countDown();
        }, "host-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static Path jar() {
        String j = System.getenv("TAPSTACK_JAR");
        Path p = j != null ? Path.of(j) : Path.of("../tools/target/tapstack.jar");
        if (!p.toFile().isFile()) {
            throw new AssertionError("tapstack.jar not found at " + p.toAbsolutePath() + " (build with mvn package)");
        }
        return p;
    }

    /** Starts {@code tapstack run --tap TAP ARGS...} in the namespace and waits until it is ready. */
    public static Host start(Netns ns, String... args) {
        return start(ns, List.of("-Xmx512m"), args);
    }

    /** As {@link #start(Netns, String...)} with the given JVM options (e.g. a small {@code -Xmx}). */
    public static Host start(Netns ns, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>(ns.prefix());
        Path control = Path.of(System.getProperty("java.io.tmpdir"), ns.name + ".sock");
        cmd.add("java");
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString(), "run", "--tap", ns.tap,
                "--control", control.toString()));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start host: " + e, e);
        }
        Host h = new Host(p);
        h.control = control;
        try {
            if (!h.ready.await(30, TimeUnit.SECONDS) || h.readyLine == null) {
                h.close();
                throw new AssertionError("host did not print its ready line within 30 s; output:\n" + h.output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            h.close();
            throw new AssertionError(e);
        }
        for (int i = 0; i < 50; i++) {
            if (ns.ip("link", "show", ns.tap).out().contains("LOWER_UP")) {
                return h;
            }
            sleep(100);
        }
        h.close();
        throw new AssertionError("TAP never showed LOWER_UP");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code tapstack stat --host SOCKET [-a]} against the running host. */
    public String stat(boolean all) {
        List<String> c = new ArrayList<>(List.of("java", "-jar", jar().toString(), "stat", "--host", control.toString()));
        if (all) {
            c.add("-a");
        }
        return Sh.run(30, c).ok().out();
    }

    /** {@code tapstack stat --host SOCKET FLAGS...}, e.g. {@code --addr} or {@code --neigh}. */
    public String stat(String... flags) {
        List<String> c = new ArrayList<>(List.of("java", "-jar", jar().toString(), "stat", "--host", control.toString()));
        c.addAll(List.of(flags));
        return Sh.run(30, c).ok().out();
    }

    /** Live counters through the control socket: "group.name" → value. */
    public Map<String, Long> liveCounters() {
        return parseCounters(stat(true));
    }

    static Map<String, Long> parseCounters(String text) {
        Map<String, Long> m = new HashMap<>();
        String group = "";
        Pattern line = Pattern.compile("^\\s+(\\d+) (\\S+)$");
        for (String l : text.split("\n")) {
            if (l.matches("^[a-z0-9_]+:$")) {
                group = l.substring(0, l.length() - 1);
                continue;
            }
            Matcher mm = line.matcher(l);
            if (mm.matches()) {
                m.put(group + "." + mm.group(2), Long.parseLong(mm.group(1)));
            }
        }
        return m;
    }

    /** The host's control socket (for {@code tapstack stat/capture --host}). */
    public Path controlSocket() {
        return control;
    }

    public String readyLine() {
        return readyLine;
    }

    public String output() {
        return output.toString();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Sends SIGTERM, waits (bounded) and returns the exit code. */
    public int stop() {
        if (exitCode != null) {
            return exitCode;
        }
        // SIGTERM through the handle: Process.destroy() would also close our end of its stdout
        // and lose what the host prints while it shuts down.
        process.toHandle().destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exitCode = process.isAlive() ? -1 : process.exitValue();
        return exitCode;
    }

    /** Counters printed at shutdown: "group.name" → value. Call after {@link #stop()}. */
    public Map<String, Long> counters() {
        String text = output.toString();
        int at = text.indexOf("tapstack: stopped; counters:");
        if (at < 0) {
            throw new AssertionError("host printed no counters; output:\n" + text);
        }
        return parseCounters(text.substring(at));
    }

    @Override
    public void close() {
        stop();
    }

    /** tcpdump on the namespace's TAP, writing a pcap file until stopped. */
    public static final class Capture {
        private final Process process;
        private final Path file;

        private Capture(Process p, Path file) {
            this.process = p;
            this.file = file;
        }

        public static Capture start(Netns ns, Path file) {
            List<String> cmd = new ArrayList<>(ns.prefix());
            cmd.addAll(List.of("tcpdump", "-n", "-U", "-s", "0", "-i", ns.tap, "-w", file.toString()));
            try {
                Path log = java.nio.file.Files.createTempFile("tcpdump", ".log");
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                for (int i = 0; i < 100; i++) {
                    if (java.nio.file.Files.readString(log).contains("listening on")) {
                        java.nio.file.Files.deleteIfExists(log);
                        return new Capture(p, file);
                    }
                    if (!p.isAlive()) {
                        break;
                    }
                    sleep(100);
                }
                p.destroyForcibly();
                throw new AssertionError("tcpdump did not start: " + java.nio.file.Files.readString(log));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        /** Stops tcpdump (SIGTERM, bounded) and returns the file. */
        public Path stop() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return file;
        }
    }
}
