package io.tapstack.blocking;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The blocking facade, on two real event loops joined by a thread-safe wire. */
@Timeout(60)
class TapSocketTest {
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);
    EventLoop la;
    EventLoop lb;

    @BeforeEach
    void setUp() {
        ThreadedPairLink[] w = ThreadedPairLink.create();
        NetStack a = new NetStack(w[0], TwoHosts.config(TwoHosts.IP_A, 0x020000000001L), Clock.SYSTEM);
        NetStack b = new NetStack(w[1], TwoHosts.config(TwoHosts.IP_B, 0x020000000002L), Clock.SYSTEM);
        la = new EventLoop(a, "loop-a");
        lb = new EventLoop(b, "loop-b");
        la.start();
        lb.start();
    }

    @AfterEach
    void tearDown() {
        la.close();
        lb.close();
    }

    @Test
    void echoThroughBlockingSockets() throws Exception {
        TapServerSocket server = TapServerSocket.bind(lb, 7007);
        AtomicReference<Throwable> fail = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try (TapSocket s = server.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
                s.shutdownOutput();
            } catch (Throwable e) {
                fail.set(e);
            }
        });
        t.start();
        byte[] data = new byte[1_000_000];
        new Random(5).nextBytes(data);
        try (TapSocket c = TapSocket.connect(la, B, 7007)) {
            Thread writer = new Thread(() -> {
                try {
                    c.getOutputStream().write(data);
                    c.shutdownOutput();
                } catch (Exception e) {
                    fail.set(e);
                }
            });
            writer.start();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            c.getInputStream().transferTo(got);
            writer.join();
            assertArrayEquals(data, got.toByteArray());
        }
        t.join();
        assertEquals(null, fail.get());
        server.close();
    }

    @Test
    void readTimeoutAndRefusedConnect() throws Exception {
        TapServerSocket server = TapServerSocket.bind(lb, 7008);
        try (TapSocket c = TapSocket.connect(la, B, 7008)) {
            TapSocket s = server.accept();
            c.setSoTimeout(100);
            assertThrows(SocketTimeoutException.class, () -> c.read(new byte[10], 0, 10));
            s.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[10];
            assertEquals(4, c.read(b, 0, 10)); // the socket still works after a timeout
            s.close();
        }
        server.setSoTimeout(50);
        assertThrows(SocketTimeoutException.class, server::accept);
        assertThrows(ConnectionRefused.class, () -> TapSocket.connect(la, B, 7999));
        server.close();
    }
}
