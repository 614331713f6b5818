package io.tapstack.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the ICMP error-flood ITs share: a namespace whose kernel side has {@link TcpIt#KERNEL_IP}/16
 * (and an IPv6 address if asked), a host serving {@code file.bin} (random, seeded) over HTTP with
 * offloads off, and a scratch directory for what Linux downloads. {@link #close} removes exactly
 * these, and a start that fails removes what it had made before it throws.
 */
record FloodFixture(Netns ns, Host host, Path root, Path scratch) implements AutoCloseable {
    /**
     * @param tag      the namespace's tag and the temporary directories' name
     * @param kernel6  an IPv6 address/prefix for the kernel's side of the TAP, or null
     * @param hostArgs the host's addresses and MAC ({@code --offload none} and the HTTP service are added)
     */
    static FloodFixture start(String tag, long fileSize, long seed, String kernel6, String... hostArgs) throws IOException {
        Path root = null;
        Path scratch = null;
        Netns ns = null;
        Host host = null;
        try {
            root = Files.createTempDirectory("tsit-" + tag + "-root");
            scratch = Files.createTempDirectory("tsit-" + tag + "-scratch");
            TcpIt.randomFile(root, "file.bin", fileSize, seed);
            ns = Netns.create(tag, TcpIt.KERNEL_IP + "/16");
            if (kernel6 != null) {
                ns.ip("-6", "addr", "add", kernel6, "dev", ns.tap, "nodad");
            }
            List<String> args = new ArrayList<>(List.of(hostArgs));
            args.addAll(List.of("--offload", "none", "--services", "http", "--http-root", root.toString()));
            host = Host.start(ns, args.toArray(String[]::new));
            return new FloodFixture(ns, host, root, scratch);
        } catch (IOException | RuntimeException | Error e) {
            TcpIt.teardown(host, ns, root, scratch);
            throw e;
        }
    }

    /** The file the host serves. */
    Path served() {
        return root.resolve("file.bin");
    }

    /** Where Linux's curl writes the download. */
    Path got() {
        return scratch.resolve("file.got");
    }

    @Override
    public void close() {
        TcpIt.teardown(host, ns, root, scratch);
    }
}
