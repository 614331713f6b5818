package io.tapstack.it;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace made for one test class, with a TAP whose kernel side is configured
 * inside it. Everything lives in the namespace; {@link #close()} removes exactly it.
 */
public final class Netns implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    public final String name;
    public final String tap;

    private Netns(String name, String tap) {
        this.name = name;
        this.tap = tap;
    }

    /** Fails in CI, skips elsewhere, when this machine cannot run TAP tests. */
    public static void requireTapPrivilege() {
        boolean root = "0".equals(Sh.run(5, "id", "-u").out().trim());
        boolean tun = Files.exists(Path.of("/dev/net/tun"));
        String why = !root ? "TAP tests need root" : !tun ? "TAP tests need /dev/net/tun" : null;
        if (why == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(why + " (CI=true: a missing TAP or privilege is a failure)");
        }
        Assumptions.abort(why + "; skipped outside CI");
    }

    /** Creates namespace + TAP with {@code kernelAddr} (e.g. 10.0.0.1/24) on its kernel side. */
    public static Netns create(String tag, String kernelAddr) {
        return create(tag, kernelAddr, false);
    }

    /** As {@link #create(String, String)}; {@code multiQueue} makes a multi-queue TAP. */
    public static Netns create(String tag, String kernelAddr, boolean multiQueue) {
        requireTapPrivilege();
        String name = "tsit-" + tag + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        Netns ns = new Netns(name, "tap0");
        Sh.run(10, "ip", "netns", "add", name).ok();
        try {
            ns.ip("link", "set", "lo", "up");
            if (multiQueue) {
                ns.ip("tuntap", "add", "dev", ns.tap, "mode", "tap", "multi_queue");
            } else {
                ns.ip("tuntap", "add", "dev", ns.tap, "mode", "tap");
            }
            ns.ip("link", "set", ns.tap, "txqueuelen", "10000");
            if (kernelAddr != null) {
                ns.ip("addr", "add", kernelAddr, "dev", ns.tap);
            }
            ns.ip("link", "set", ns.tap, "up");
        } catch (RuntimeException | AssertionError e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** {@code ip -n NS ARGS}, must succeed. */
    public Sh.Result ip(String... args) {
        List<String> c = new ArrayList<>(List.of("ip", "-n", name));
        c.addAll(List.of(args));
        return Sh.run(10, c).ok();
    }

    /** Runs a command inside the namespace. */
    public Sh.Result exec(long timeoutSeconds, String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(cmd));
        return Sh.run(timeoutSeconds, c);
    }

    /** Packets an nftables named counter in the namespace has counted ({@code nft list counter}). */
    public long nftCounter(String family, String table, String counter) {
        String out = exec(10, "nft", "list", "counter", family, table, counter).ok().out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no packet count in: " + out);
        }
        return Long.parseLong(m.group(1));
    }

    /** The argv prefix that runs a command in the namespace. */
    public List<String> prefix() {
        return List.of("ip", "netns", "exec", name);
    }

    @Override
    public void close() {
        Sh.run(10, "ip", "netns", "del", name);
    }
}
