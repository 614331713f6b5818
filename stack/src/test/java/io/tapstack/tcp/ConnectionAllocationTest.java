package io.tapstack.tcp;

import io.tapstack.RequestClient;
import io.tapstack.socket.TcpException;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heap allocated per short connection once warm (issue 11): two stacks on one thread and
 * virtual time run connect → 100-byte request → 300-byte response → close from the server →
 * close from the client, 50 connections at a time, and HotSpot's allocation counter of this
 * thread (a counter, not a timer) is read around the measured cycles. Both ends run on the
 * thread, so the figure is per connection for client and server together.
 */
class ConnectionAllocationTest {
    private static final byte[] REQUEST = new byte[100];
    private static final byte[] RESPONSE = new byte[300];

    /** The server: reads the request, answers, closes; one instance for every connection. */
    static final class Server implements TcpHandler {
        final byte[] buf = new byte[2048];
        long done;

        @Override
        public void onReadable(TcpConnection c) {
            try {
                int n;
                while ((n = c.read(buf, 0, buf.length)) > 0) {
                    if (c.write(RESPONSE, 0, RESPONSE.length) != RESPONSE.length) {
                        throw new AssertionError("send buffer full");
                    }
                    c.close();
                    c.setHandler(null); // the client's FIN after our close needs nothing from us
                    done++;
                    return;
                }
                if (n < 0) {
                    c.close();
                }
            } catch (TcpException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static void cycles(TcpPair p, RequestClient client, int n) throws Exception {
        for (int i = 0; i < n; i += 50) {
            for (int k = 0; k < 50; k++) {
                p.ta.connect(TcpPair.B, 80, client);
            }
            p.run(3);
        }
        p.run(3);
    }

    @Test
    void shortConnectionsAllocateLittleOnceWarm() throws Exception {
        TcpConfig cfg = new TcpConfig();
        // TIME-WAIT records expire as fast as they come (2·MSL = 20 ms), so the measured cycles
        // are the steady state rather than the TIME-WAIT table's first growth
        cfg.mslNanos = 10_000_000L;
        TcpPair p = new TcpPair(cfg, -1, 1500);
        Server server = new Server();
        RequestClient client = new RequestClient(REQUEST);
        p.tb.listen(80).setAcceptHandler(l -> {
            TcpConnection c;
            while ((c = l.accept()) != null) {
                c.setHandler(server);
            }
        });
        p.ta.connect(TcpPair.B, 80, client);
        p.run(10); // ARP
        cycles(p, client, 2000); // warm: pools, JIT, the TIME-WAIT arrays' growth
        long framesBefore = wireFrames(p);
        long bytesBefore = wireBytes(p);
        long before = RequestClient.allocatedBytes();
        int n = 2000;
        cycles(p, client, n);
        long total = RequestClient.allocatedBytes() - before;
        // the test wire (PairLink) copies every frame into a new byte[]: a TAP does not, so that is
        // taken out (array header 16 bytes + the frame + on average 4 bytes of padding to 8)
        long frames = wireFrames(p) - framesBefore;
        long wire = wireBytes(p) - bytesBefore + 20 * frames;
        long perConnection = (total - wire) / n / 2;
        assertEquals(4001, client.closed, "every connection completed");
        assertEquals(4001L * RESPONSE.length, client.bytes);
        assertEquals(0, p.ta.connectionCount());
        assertEquals(0, p.tb.connectionCount());
        System.out.printf("heap allocated per connection: %d bytes per end (%d for both ends and %d frames, "
                + "of which ~%d the test wire's frame copies)%n", perConnection, total / n, frames / n, wire / n);
        assertTrue(perConnection <= LIMIT, perConnection + " bytes per connection, more than " + LIMIT);
    }

    private static long wireFrames(TcpPair p) {
        return p.h.a.stats().snapshot().get("link").get("tx_frames") + p.h.b.stats().snapshot().get("link").get("tx_frames");
    }

    private static long wireBytes(TcpPair p) {
        return p.h.a.stats().snapshot().get("link").get("tx_bytes") + p.h.b.stats().snapshot().get("link").get("tx_bytes");
    }

    /**
     * Per end, the test wire's copies taken out: measured 974 bytes (was 1,408; the bar is
     * 1 KB; what the bytes are is listed in docs/performance.md). A guard against growth: a field
     * added to a per-connection part can cross it (objects are 8-byte aligned).
     */
    static final long LIMIT = 1000;
}
