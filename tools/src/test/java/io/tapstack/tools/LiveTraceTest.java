package io.tapstack.tools;

import io.tapstack.TwoHosts;
import io.tapstack.link.FaultyLink;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;
import io.tapstack.tcp.TcpTraceSink;
import io.tapstack.wire.IpAddr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The live trace ({@code tapstack trace --host}): what the host streams while a lossy transfer runs is
 * read back by the client into a file that {@code tapstack trace FILE} reads, record for record; a slow
 * reader costs dropped (and counted) records, never a blocked loop; a record limit is exact.
 */
class LiveTraceTest {
    private static final long MS = 1_000_000L;

    /** A sender of {@code total} bytes to B:9 that closes when done, and a server that reads everything. */
    private static final class Transfer {
        final TwoHosts h = new TwoHosts(1500, 3, c -> {
        }, new TcpConfig());
        final Tcp ta = h.a.tcp();
        long received;
        boolean eof;
        TcpConnection client;

        Transfer(double loss) {
            for (FaultyLink f : new FaultyLink[] {h.faultyA, h.faultyB}) {
                f.rx.loss(loss).delay(MS);
            }
        }

        void start(long total) throws Exception {
            TcpListener l = h.b.tcp().listen(9);
            l.setChildHandler(new TcpHandler() {
                final ByteBuffer buf = ByteBuffer.allocate(65536);

                @Override
                public void onReadable(TcpConnection c) {
                    try {
                        int n;
                        while ((n = c.read(buf.clear())) > 0) {
                            received += n;
                        }
                        if (n < 0) {
                            eof = true;
                            c.close();
                        }
                    } catch (TcpException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            l.setAcceptHandler(x -> {
                while (x.accept() != null) {
                    // handler from setChildHandler
                }
            });
            byte[] chunk = new byte[16384];
            client = ta.connect(IpAddr.ofV4(TwoHosts.IP_B), 9, new TcpHandler() {
                long sent;

                @Override
                public void onConnected(TcpConnection c) {
                    onWritable(c);
                }

                @Override
                public void onWritable(TcpConnection c) {
                    try {
                        while (sent < total) {
                            int n = c.write(chunk, 0, (int) Math.min(chunk.length, total - sent));
                            if (n == 0) {
                                return;
                            }
                            sent += n;
                        }
                        c.shutdownOutput();
                    } catch (TcpException e) {
                        throw new AssertionError(e);
                    }
                }
            });
        }
    }

    /** What the host's control handler does, on virtual time: flush and drain every 200 ms until {@code done}. */
    private static void stream(Transfer t, LiveTrace live, TcpTraceSink sink, OutputStream socket,
                               java.util.function.BooleanSupplier done, List<Integer> sizes, ByteArrayOutputStream bytes)
            throws Exception {
        live.start(socket);
        for (int step = 0; step < 3000 && !done.getAsBoolean(); step++) {
            t.h.run(200 * MS, MS);
            t.ta.flushTraces();
            live.drainTo(socket);
            if (bytes != null) {
                sizes.add(bytes.size());
            }
        }
        t.ta.untrace(sink);
        live.drainTo(socket);
        live.end(socket);
    }

    @Test
    void aLossyTransferIsStreamedRecordForRecordIntoATraceFile(@TempDir Path dir) throws Exception {
        Transfer t = new Transfer(0.03);
        LiveTrace live = new LiveTrace(0);
        TcpTraceSink sink = live.sink(0);
        t.ta.trace(9, sink);
        long total = 3L << 20;
        t.start(total);
        ByteArrayOutputStream socket = new ByteArrayOutputStream();
        List<Integer> sizes = new java.util.ArrayList<>();
        stream(t, live, sink, socket, () -> t.eof && t.h.b.tcp().connectionCount() == 0, sizes, socket);
        assertEquals(total, t.received);
        assertFalse(t.client.traced(), "no longer traced once the reader is gone");

        // the client's side: frames back into a file
        Path file = dir.resolve("live.trace");
        String end;
        try (OutputStream out = Files.newOutputStream(file)) {
            end = LiveTrace.receive(new ByteArrayInputStream(socket.toByteArray()), out);
        }
        assertNotNull(end, "the stream ends with its summary");
        List<TcpTraceFile.Connection> conns = TcpTraceFile.read(file);
        assertEquals(1, conns.size(), "only the connection on port 9");
        TcpTraceFile.Connection c = conns.get(0);
        assertEquals("records " + c.count() + " dropped 0", end);
        assertTrue(c.endpoints().contains(":" + t.client.localPort() + " ") && c.endpoints().endsWith(":9"), c.endpoints());
        // streamed as made: the stream grew several times while the transfer ran, not only at the end
        assertTrue(sizes.stream().distinct().count() > 3, "records arrive while the connection runs: " + sizes);
        // every byte of data and the FIN were sent once, in order, and retransmissions were traced
        long expect = 1;
        int retransmits = 0;
        for (int i = 0; i < c.count(); i++) {
            if (c.event(i) == TcpTrace.Event.SEND) {
                assertEquals(expect, c.get(i, TcpTrace.SEQ), "record " + i);
                expect = c.get(i, TcpTrace.END);
            } else if (c.event(i) == TcpTrace.Event.RETRANSMIT) {
                retransmits++;
            }
        }
        assertEquals(total + 2, expect, "all data and the FIN");
        assertTrue(retransmits > 0, "3 % loss: retransmissions");
        // the command reads what the live trace wrote
        java.io.PrintStream old = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            code = Main.commandLine().execute("trace", "--csv", file.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        assertEquals(1 + c.count(), printed.toString(java.nio.charset.StandardCharsets.UTF_8).lines().count());
    }

    @Test
    void aSlowReaderCostsDroppedRecordsCountedNeverABlockedLoop() throws Exception {
        Transfer t = new Transfer(0);
        // room for about one full ring: the reader drains only at the end
        LiveTrace live = new LiveTrace(0, TcpTrace.CAPACITY * TcpTrace.WORDS * 8L + 200);
        TcpTraceSink inner = live.sink(0);
        long[] made = new long[1];
        t.ta.trace(-1, (tr, r, n) -> {
            made[0] += n;
            inner.write(tr, r, n);
        });
        t.start(8L << 20);
        t.h.until(() -> t.eof, 600_000 * MS, MS);
        t.ta.flushTraces();
        ByteArrayOutputStream socket = new ByteArrayOutputStream();
        live.start(socket);
        live.drainTo(socket);
        live.end(socket);
        assertTrue(live.dropped() > 0, "records were dropped");
        assertTrue(live.written() > 0, "what fitted was kept");
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        String end = LiveTrace.receive(new ByteArrayInputStream(socket.toByteArray()), file);
        assertEquals("records " + live.written() + " dropped " + live.dropped(), end);
        assertEquals(made[0], live.written() + live.dropped(), "every record made was written or counted as dropped");
        assertEquals(live.written(), TcpTraceFile.read(new ByteArrayInputStream(file.toByteArray())).stream()
                .mapToLong(TcpTraceFile.Connection::count).sum());
    }

    @Test
    void aRecordLimitIsExact(@TempDir Path dir) throws Exception {
        Transfer t = new Transfer(0);
        LiveTrace live = new LiveTrace(100);
        TcpTraceSink sink = live.sink(0);
        t.ta.trace(-1, sink);
        t.start(1L << 20);
        ByteArrayOutputStream socket = new ByteArrayOutputStream();
        stream(t, live, sink, socket, live::limitReached, new java.util.ArrayList<>(), null);
        assertTrue(live.limitReached());
        Path file = dir.resolve("t.trace");
        try (OutputStream out = Files.newOutputStream(file)) {
            assertEquals("records 100 dropped 0", LiveTrace.receive(new ByteArrayInputStream(socket.toByteArray()), out));
        }
        assertEquals(100, TcpTraceFile.read(file).get(0).count());
    }

    @Test
    void aRefusalIsOneLineAndARequestIsChecked() {
        UserError e = assertThrows(UserError.class, () -> LiveTrace.receive(
                new ByteArrayInputStream("error: another client traces this host now\n".getBytes()), new ByteArrayOutputStream()));
        assertEquals("another client traces this host now", e.getMessage());
        assertEquals(new ControlServer.TraceRequest(-1, 0), ControlServer.TraceRequest.parse("all 0"));
        assertEquals(new ControlServer.TraceRequest(443, 10), ControlServer.TraceRequest.parse("443 10"));
        for (String bad : new String[] {"", "0 0", "65536 0", "x 0", "80 -1", "80", "80 1 2"}) {
            assertThrows(IllegalArgumentException.class, () -> ControlServer.TraceRequest.parse(bad), bad);
        }
    }
}
