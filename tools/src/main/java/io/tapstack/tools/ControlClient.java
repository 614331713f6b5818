package io.tapstack.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Talks to a running host's {@link ControlServer}. */
final class ControlClient {
    private ControlClient() {
    }

    /** A host given as a socket path (contains '/') or a TAP name under /run/tapstack. */
    static Path resolve(String host) {
        Path p = host.contains("/") ? Path.of(host) : ControlServer.defaultPath(host);
        if (!Files.exists(p)) {
            throw new UserError("no running host at " + p + " (is 'tapstack run' up? give --host TAPNAME or the socket path)");
        }
        return p;
    }

    /** Reads a streamed answer. */
    @FunctionalInterface
    interface Reader<T> {
        T read(InputStream in) throws IOException;
    }

    /**
     * Sends one streamed request and gives the answer to {@code reader}. SIGINT or SIGTERM, or
     * {@code seconds} passing (0: never), asks the host to finish (we shut down our sending side),
     * so the answer ends cleanly.
     */
    static <T> T stream(Path socket, String request, double seconds, Reader<T> reader) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            Runnable finish = () -> {
                try {
                    c.shutdownOutput();
                } catch (IOException ignored) {
                    // already closed
                }
            };
            Signals.onTermination(finish);
            if (seconds > 0) {
                Thread timer = new Thread(() -> {
                    try {
                        Thread.sleep((long) (seconds * 1000));
                        finish.run();
                    } catch (InterruptedException ignored) {
                        // done before
                    }
                }, "tapstack-trace-timer");
                timer.setDaemon(true);
                timer.start();
            }
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            return reader.read(Channels.newInputStream(c));
        } catch (IOException e) {
            throw new UserError("cannot talk to the host at " + socket + ": " + e.getMessage());
        }
    }

    /** Sends one request and copies the answer to {@code out}. */
    static void request(Path socket, String request, OutputStream out) {
        request(socket, request, out, false);
    }

    /**
     * Sends one request and copies the answer to {@code out}. With {@code stopOnSignal}, SIGINT
     * or SIGTERM asks the host to finish (we close our sending side; it closes the capture
     * cleanly, at a frame boundary, and hangs up), so the output ends in a complete file.
     */
    static void request(Path socket, String request, OutputStream out, boolean stopOnSignal) {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            if (stopOnSignal) {
                Signals.onTermination(() -> {
                    try {
                        c.shutdownOutput();
                    } catch (IOException ignored) {
                        // already closed
                    }
                });
            }
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            InputStream in = Channels.newInputStream(c);
            byte[] buf = new byte[65536];
            int n;
            boolean first = true;
            while ((n = in.read(buf)) > 0) {
                if (first && n >= 7 && new String(buf, 0, 7, StandardCharsets.UTF_8).equals("error: ")) {
                    throw new UserError(new String(buf, 7, n - 7, StandardCharsets.UTF_8).strip());
                }
                first = false;
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            throw new UserError("cannot talk to the host at " + socket + ": " + e.getMessage());
        }
    }
}
