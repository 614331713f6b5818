package io.tapstack.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs commands with a time bound; output captured. */
public final class Sh {
    /** Result of a finished command. */
    public record Result(int exit, String out, String err, List<String> cmd) {
        public Result ok() {
            if (exit != 0) {
                throw new AssertionError("command failed (exit " + exit + "): " + String.join(" ", cmd)
                        + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    private Sh() {
    }

    public static Result run(long timeoutSeconds, String... cmd) {
        return run(timeoutSeconds, List.of(cmd));
    }

    public static Result run(long timeoutSeconds, List<String> cmd) {
        try {
            Path out = Files.createTempFile("tapstack-it", ".out");
            Path err = Files.createTempFile("tapstack-it", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    throw new AssertionError("command timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd)
                            + "\nstdout so far: " + Files.readString(out));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8), cmd);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static List<String> concat(List<String> a, String... b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(b));
        return l;
    }
}
