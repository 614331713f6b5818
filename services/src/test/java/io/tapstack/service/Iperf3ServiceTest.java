package io.tapstack.service;

import io.tapstack.TwoHosts;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The iperf3 server on B, driven by a scripted iperf3 client on A over PairLink on virtual time. */
class Iperf3ServiceTest {
    static final IpAddr B = IpAddr.ofV4(TwoHosts.IP_B);
    static final String COOKIE = "abcdefghijklmnopqrstuvwxyz0123456789";
    TwoHosts h;
    Tcp ta;
    Iperf3Service server;

    @BeforeEach
    void setUp() throws Exception {
        h = new TwoHosts();
        ta = h.a.tcp();
        server = (Iperf3Service) Iperf3Service.startOn(h.b, Iperf3Service.PORT);
    }

    /** A connection that writes what it is given and keeps all it reads. */
    static final class Peer implements TcpHandler {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocate(65536);
        ByteBuffer toSend = ByteBuffer.allocate(0);
        TcpConnection conn;
        boolean eof;
        boolean closed;
        TcpException error;

        void send(TcpConnection c, byte[] b) {
            ByteBuffer n = ByteBuffer.allocate(toSend.remaining() + b.length);
            n.put(toSend).put(b).flip();
            toSend = n;
            onWritable(c);
        }

        @Override
        public void onConnected(TcpConnection c) {
            conn = c;
            onWritable(c);
        }

        @Override
        public void onWritable(TcpConnection c) {
            try {
                while (toSend.hasRemaining() && c.write(toSend) > 0) {
                    // keep writing
                }
            } catch (TcpException e) {
                error = e;
            }
        }

        @Override
        public void onReadable(TcpConnection c) {
            try {
                int n;
                while ((n = c.read(buf.clear())) > 0) {
                    got.write(buf.array(), 0, n);
                }
                if (n < 0) {
                    eof = true;
                }
            } catch (TcpException e) {
                error = e;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException e) {
            closed = true;
            if (e != null) {
                error = e;
            }
        }

        byte[] bytes() {
            return got.toByteArray();
        }
    }

    static byte[] cookie() {
        return (COOKIE + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] framed(String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + j.length).putInt(j.length).put(j).array();
    }

    void until(java.util.function.BooleanSupplier cond) {
        h.until(cond, 60_000_000_000L, 1_000_000L);
    }

    /** Connects the control connection and waits for PARAM_EXCHANGE. */
    Peer control() throws Exception {
        Peer ctl = new Peer();
        ctl.send(ta.connect(B, Iperf3Service.PORT, ctl), cookie());
        until(() -> ctl.got.size() >= 1);
        assertArrayEquals(new byte[] {Iperf3Service.PARAM_EXCHANGE}, ctl.bytes());
        return ctl;
    }

    @Test
    void aWholeTestWithTwoStreams() throws Exception {
        Peer ctl = control();
        ctl.send(ctl.conn, framed("{\"tcp\":true,\"omit\":0,\"time\":0,\"num\":0,\"blockcount\":0,\"parallel\":2,"
                + "\"len\":1000,\"client_version\":\"3.12\"}"));
        until(() -> ctl.got.size() >= 2);
        assertEquals(Iperf3Service.CREATE_STREAMS, ctl.bytes()[1]);
        Peer[] data = {new Peer(), new Peer()};
        for (Peer d : data) {
            d.send(ta.connect(B, Iperf3Service.PORT, d), cookie());
            h.settle();
        }
        until(() -> ctl.got.size() >= 4);
        assertEquals(Iperf3Service.TEST_START, ctl.bytes()[2]);
        assertEquals(Iperf3Service.TEST_RUNNING, ctl.bytes()[3]);
        data[0].send(data[0].conn, new byte[30_000]);
        data[1].send(data[1].conn, new byte[20_000]);
        until(() -> !data[0].toSend.hasRemaining() && !data[1].toSend.hasRemaining());
        h.settle();
        ctl.send(ctl.conn, new byte[] {Iperf3Service.TEST_END});
        until(() -> ctl.got.size() >= 5);
        assertEquals(Iperf3Service.EXCHANGE_RESULTS, ctl.bytes()[4]);
        ctl.send(ctl.conn, framed("{\"cpu_util_total\":1.5,\"cpu_util_user\":1,\"cpu_util_system\":0.5,"
                + "\"sender_has_retransmits\":1,\"streams\":[{\"id\":1,\"bytes\":30000,\"retransmits\":0}]}"));
        until(() -> {
            byte[] b = ctl.bytes();
            return b.length >= 9 && b.length >= 9 + ByteBuffer.wrap(b, 5, 4).getInt() + 1;
        });
        byte[] b = ctl.bytes();
        int len = ByteBuffer.wrap(b, 5, 4).getInt();
        assertEquals(9 + len + 1, b.length);
        assertEquals(Iperf3Service.DISPLAY_RESULTS, b[9 + len]);
        Map<?, ?> r = (Map<?, ?>) Iperf3Json.parse(new String(b, 9, len, StandardCharsets.UTF_8));
        assertEquals(-1, ((Number) r.get("sender_has_retransmits")).intValue());
        assertNotNull(r.get("cpu_util_total"));
        List<?> streams = (List<?>) r.get("streams");
        assertEquals(2, streams.size());
        Map<?, ?> s1 = (Map<?, ?>) streams.get(0);
        Map<?, ?> s3 = (Map<?, ?>) streams.get(1);
        assertEquals(1, ((Number) s1.get("id")).intValue());
        assertEquals(3, ((Number) s3.get("id")).intValue());
        assertEquals(30_000L, ((Number) s1.get("bytes")).longValue());
        assertEquals(20_000L, ((Number) s3.get("bytes")).longValue());
        assertEquals(-1, ((Number) s1.get("retransmits")).intValue());
        ctl.send(ctl.conn, new byte[] {Iperf3Service.IPERF_DONE});
        until(() -> ctl.eof);
        assertTrue(data[0].eof && data[1].eof, "the server closed the data streams at TEST_END");
        assertEquals(1, server.testsRun());
    }

    @Test
    void udpTestsAreDenied() throws Exception {
        Peer ctl = control();
        ctl.send(ctl.conn, framed("{\"udp\":true,\"parallel\":1}"));
        until(() -> ctl.eof);
        assertArrayEquals(new byte[] {Iperf3Service.PARAM_EXCHANGE, Iperf3Service.ACCESS_DENIED}, ctl.bytes());
    }

    @Test
    void badParametersAbortTheControlConnection() throws Exception {
        Peer ctl = control();
        ctl.send(ctl.conn, framed("{\"parallel\":"));
        until(() -> ctl.closed);
        assertNotNull(ctl.error, "reset by the server");
        assertEquals(1, server.testsRun());
    }
}
