package io.tapstack.tools;

import io.tapstack.service.HttpGet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tapstack get URL}: brings up a host on a TAP, fetches one URL over HTTP/1.1 with the
 * stack's own TCP (the Java host as a client of a Linux server), writes the body, exits.
 */
@Command(name = "get", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fetch an http:// URL (a name, looked up with --dns or DHCP's servers, or an IP literal) through a host on a TAP and write the body.")
public final class GetCommand implements Callable<Integer> {
    @Mixin
    HostOptions host;

    @Parameters(index = "0", paramLabel = "URL", description = "http://NAME|ADDR[:PORT]/PATH (IPv6 as [ADDR]).")
    String url;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the body to FILE (default: stdout).")
    Path output;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Connect and read timeout (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Option(names = "--stat", description = "After the transfer, print the host's counters (as 'tapstack stat') to stderr.")
    boolean stat;

    @Override
    public Integer call() throws Exception {
        if (!url.startsWith("http://")) {
            throw new UserError("only http:// URLs are supported: " + url);
        }
        try (HostRuntime rt = host.open("tapstack-get-" + host.tap)) {
            HttpGet.Response r;
            try (OutputStream out = output == null ? new NonClosing(System.out)
                    : new BufferedOutputStream(Files.newOutputStream(output))) {
                r = HttpGet.get(rt.loop, url, out, timeoutSeconds * 1000);
            } catch (IOException e) {
                throw new UserError("GET " + url + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            System.err.println("tapstack: " + r.status() + " " + r.reason() + ", " + r.bodyBytes() + " bytes");
            if (stat) {
                System.err.print(rt.stats(false));
            }
            return r.status() >= 200 && r.status() < 300 ? 0 : 1;
        }
    }

    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream o) {
            super(o);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
