package io.tapstack.service;

import io.tapstack.EventLoop;
import io.tapstack.udp.Udp;
import io.tapstack.udp.UdpSocket;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * UDP echo (RFC 862 §"UDP Based Echo Service"): every datagram received on port 7 is sent back
 * to its source. Runs entirely on the loop through the {@link UdpSocket} handler API.
 */
public final class UdpEchoService implements Service {
    public static final String NAME = "udp-echo";

    private final EventLoop loop;
    private final UdpSocket socket;
    private final int port;

    private UdpEchoService(EventLoop loop, UdpSocket socket) {
        this.loop = loop;
        this.socket = socket;
        this.port = socket.localPort();
    }

    /** Starts the service; callable from any thread. Port: option "udp-echo", else "echo", else 7. */
    public static UdpEchoService start(EventLoop loop, ServiceOptions options) throws Exception {
        int port = options.port(NAME, options.port("echo", 7));
        UdpSocket s = loop.call(() -> open(loop, port)).get(10, TimeUnit.SECONDS);
        return new UdpEchoService(loop, s);
    }

    /** Opens the echo socket on the loop thread (for tests driving a stack by hand). */
    public static UdpSocket open(EventLoop loop, int port) {
        return open(loop.stack().udp(), port);
    }

    public static UdpSocket open(Udp udp, int port) {
        UdpSocket s = udp.open();
        s.setHandler((sock, buf, off, len, hi, lo, sport) -> {
            try {
                sock.sendTo(buf, off, len, hi, lo, sport);
            } catch (IOException e) {
                // no route back: nothing to do (counted by UDP)
            }
        });
        try {
            s.bind(null, port);
        } catch (IOException e) {
            s.close();
            throw new UncheckedIOException(e);
        }
        return s;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String describe() {
        return "udp-echo udp/" + port;
    }

    @Override
    public void close() {
        try {
            loop.execute(socket::close);
        } catch (IllegalStateException e) {
            // loop stopped
        }
    }
}
