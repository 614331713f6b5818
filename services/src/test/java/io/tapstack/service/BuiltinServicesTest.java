package io.tapstack.service;

import io.tapstack.NetStack;
import io.tapstack.TwoHosts;
import io.tapstack.blocking.TapSocket;
import io.tapstack.blocking.ThreadedPairLink;
import io.tapstack.loop.Clock;
import io.tapstack.EventLoop;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in services and the HTTP client through the blocking facade, on two real event loops. */
@Timeout(60)
class BuiltinServicesTest {
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
    void builtinServicesAndHttpGet() throws Exception {
        BuiltinServices.registerAll();
        ServiceOptions o = new ServiceOptions();
        ServiceRegistry.get("echo").start(lb, o);
        ServiceRegistry.get("http").start(lb, o);
        try (TapSocket c = TapSocket.connect(la, B, 7)) {
            c.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            byte[] b = new byte[5];
            int n = 0;
            while (n < 5) {
                n += c.read(b, n, 5 - n);
            }
            assertEquals("ping\n", new String(b, StandardCharsets.US_ASCII));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        HttpGet.Response r = HttpGet.get(la, "http://10.0.0.2/", body, 5000);
        assertEquals(200, r.status());
        assertTrue(body.toString(StandardCharsets.UTF_8).contains("tapstack"));
        assertEquals(Long.parseLong(r.headers().get("content-length")), r.bodyBytes());
        assertEquals(404, HttpGet.get(la, "http://10.0.0.2:80/missing", new ByteArrayOutputStream(), 5000).status());
    }
}
