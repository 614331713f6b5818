package io.tapstack.tcp;

import io.tapstack.link.FaultyLink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.tcp.TcpPair.B;
import static io.tapstack.tcp.TcpTrace.END;
import static io.tapstack.tcp.TcpTrace.EVENT;
import static io.tapstack.tcp.TcpTrace.SEQ;
import static io.tapstack.tcp.TcpTrace.TIME;
import static io.tapstack.tcp.TcpTrace.UNA;
import static io.tapstack.tcp.TcpTrace.WORDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-connection trace: what it records on a lossy transfer matches the counters, and its file reads back. */
class TcpTraceTest {
    /** Collects every record given to the sink. */
    static final class Memory implements TcpTraceSink {
        long[] words = new long[0];
        int count;
        int calls;

        @Override
        public void write(TcpTrace trace, long[] records, int n) {
            words = Arrays.copyOf(words, (count + n) * WORDS);
            System.arraycopy(records, 0, words, count * WORDS, n * WORDS);
            count += n;
            calls++;
        }

        long get(int i, int w) {
            return words[i * WORDS + w];
        }

        int count(TcpTrace.Event e) {
            int k = 0;
            for (int i = 0; i < count; i++) {
                if (get(i, EVENT) == e.ordinal()) {
                    k++;
                }
            }
            return k;
        }
    }

    @Test
    void aLossyTransferIsTracedEventByEventAndReadBackFromTheFile(@TempDir Path dir) throws Exception {
        long total = 6L << 20;
        TcpPair p = new TcpPair(new TcpConfig(), 5, 1500);
        for (FaultyLink f : new FaultyLink[] {p.h.faultyA, p.h.faultyB}) {
            f.rx.loss(0.05).delay(1_000_000L);
        }
        Memory mem = new Memory();
        Path file = dir.resolve("t.trace");
        TcpTraceFile tf = TcpTraceFile.create(file);
        TcpTraceSink fileSink = tf.sink(0);
        p.ta.trace(9, (t, r, n) -> {
            mem.write(t, r, n);
            fileSink.write(t, r, n);
        });
        p.tb.listen(10).setAcceptHandler(x -> {
            while (x.accept() != null) {
                // unused
            }
        });
        TcpConnection other = p.ta.connect(B, 10, new TcpPair.Collector(false));
        TcpListener l = p.tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler from setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(total, 11);
        TcpConnection c = p.ta.connect(B, 9, sender);
        p.until(() -> server.eof, 600_000);
        assertTrue(c.traced(), "port 9 is traced");
        assertFalse(other.traced(), "port 10 is not");
        p.ta.flushTraces();
        tf.close();

        long recorded = c.trace.recorded();
        assertEquals(recorded, mem.count, "every record reached the sink");
        assertTrue(mem.calls > 1, "a full ring goes to the sink at once, not only at the end");
        // the events agree with the counters of the only connection that sent data
        assertEquals(p.ta.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS), mem.count(TcpTrace.Event.RETRANSMIT));
        assertEquals(p.ta.counters().get(TcpCounter.RTO_TIMEOUTS), mem.count(TcpTrace.Event.RTO));
        assertEquals(p.ta.counters().get(TcpCounter.TLP_PROBES), mem.count(TcpTrace.Event.TLP));
        assertEquals(p.ta.counters().get(TcpCounter.RECOVERY_EPISODES), mem.count(TcpTrace.Event.RECOVERY_ENTER));
        assertTrue(mem.count(TcpTrace.Event.RETRANSMIT) > 0 && mem.count(TcpTrace.Event.SACK) > 0,
                "5 % loss: retransmissions and SACKs");
        // new data is sent once, in order, from ISS+1 to the FIN: sequence relative to the ISS
        long expect = 1;
        long lastTime = 0;
        long lastUna = 0;
        for (int i = 0; i < mem.count; i++) {
            assertTrue(mem.get(i, TIME) >= lastTime, "time never goes back");
            lastTime = mem.get(i, TIME);
            assertTrue(mem.get(i, UNA) >= lastUna, "SND.UNA never goes back");
            lastUna = mem.get(i, UNA);
            if (mem.get(i, EVENT) == TcpTrace.Event.SEND.ordinal()) {
                assertEquals(expect, mem.get(i, SEQ), "record " + i);
                expect = mem.get(i, END);
            }
        }
        assertEquals(total + 2, expect, "all data and the FIN were sent");
        // the file holds the same records
        List<TcpTraceFile.Connection> read = TcpTraceFile.read(file);
        assertEquals(1, read.size());
        TcpTraceFile.Connection rc = read.get(0);
        assertEquals(c.trace.id(), rc.id());
        assertEquals(c.endpoints(), rc.endpoints());
        assertEquals(mem.count, rc.count());
        assertArrayEquals(Arrays.copyOf(mem.words, mem.count * WORDS), rc.records());
        assertNotNull(rc.event(0));
    }

    @Test
    void aTraceFileThatCannotBeWrittenLosesRecordsButNeverStopsTheConnection(@TempDir Path dir) throws Exception {
        TcpTraceFile tf = TcpTraceFile.create(dir.resolve("t.trace"));
        tf.close(); // every write now fails (as on a full disk)
        TcpPair p = new TcpPair();
        p.ta.trace(9, tf.sink(0));
        TcpListener l = p.tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler from setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(3L << 20, 4);
        TcpConnection c = p.ta.connect(B, 9, sender);
        p.until(() -> server.eof, 60_000);
        p.ta.flushTraces();
        assertEquals(3L << 20, server.count, "the transfer went on");
        assertNotNull(tf.failure());
        assertEquals(c.trace.recorded(), tf.lostRecords(), "every record counted as lost");
        assertEquals(0, tf.records());
    }

    @Test
    void aSegmentResentPastSndMaxIsARetransmissionAndASend() throws Exception {
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, TcpScript.opts(TcpScript.mss(1460)), 65535);
        Memory mem = new Memory();
        e.c.trace(mem);
        e.c.write(java.nio.ByteBuffer.wrap(TcpScript.bytes(1000, 1)));
        TcpScript.Seg first = t.expect();
        assertEquals(1000, first.data().length);
        e.c.write(java.nio.ByteBuffer.wrap(TcpScript.bytes(1000, 2))); // Nagle holds it: 1000 bytes are unacked
        t.expectNothing(100);
        TcpScript.Seg rto = t.expect(1000); // go back N: one full segment from SND.UNA, past SND.MAX
        assertEquals(first.seq(), rto.seq());
        assertEquals(1460, rto.data().length);
        t.poll();
        e.c.trace.flush();
        List<String> events = new java.util.ArrayList<>();
        for (int i = 0; i < mem.count; i++) {
            TcpTrace.Event ev = TcpTrace.event(mem.get(i, EVENT));
            if (ev == TcpTrace.Event.SEND || ev == TcpTrace.Event.RETRANSMIT) {
                events.add(ev + " " + mem.get(i, SEQ) + "-" + mem.get(i, END));
            }
        }
        assertEquals(List.of("SEND 1-1001", "RETRANSMIT 1-1001", "SEND 1001-1461"), events);
    }

    @Test
    void aConnectionCanBeTracedByTheApiAndItsLastRecordsGoOutWhenItEnds() throws Exception {
        TcpPair p = new TcpPair();
        TcpListener l = p.tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler from setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(100_000, 3);
        sender.closeWhenDone = true;
        TcpConnection c = p.ta.connect(B, 9, sender);
        Memory mem = new Memory();
        c.trace(mem);
        p.until(() -> server.eof, 60_000);
        p.run(130_000); // past TIME-WAIT's 2·MSL: the connection ends
        assertEquals(TcpState.CLOSED, c.state());
        assertFalse(c.traced());
        assertTrue(mem.count > 0 && mem.count(TcpTrace.Event.SEND) > 0 && mem.count(TcpTrace.Event.ACK) > 0);
        assertEquals(0, mem.count(TcpTrace.Event.RETRANSMIT), "no loss, no retransmission");
    }
}
