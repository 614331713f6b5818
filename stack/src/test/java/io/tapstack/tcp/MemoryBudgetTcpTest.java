package io.tapstack.tcp;

import io.tapstack.buffer.MemCounter;
import io.tapstack.buffer.MemoryBudget;
import io.tapstack.tcp.TcpScript.Seg;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpPair.B;
import static io.tapstack.tcp.TcpScript.A;
import static io.tapstack.tcp.TcpScript.S;
import static io.tapstack.tcp.TcpScript.bytes;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.tcp.TcpScript.opts;
import static io.tapstack.tcp.TcpScript.sackPerm;
import static io.tapstack.tcp.TcpScriptedTest.LPORT;
import static io.tapstack.tcp.TcpScriptedTest.PPORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TCP under the loop's memory budget (issue 11): what connections and rings charge comes back when
 * they end; at the limit SYNs and out-of-order data are refused and counted while data in order
 * still flows; under pressure only the first hole is filled. The states are reached by charging
 * the budget directly (as another consumer of the loop's memory would), so each test controls them.
 */
class MemoryBudgetTcpTest {

    /** Pushes {@code m} to its hard limit with a stand-in charge; returns the bytes charged. */
    private static long fillToLimit(MemoryBudget m) {
        long n = m.limit() - m.used();
        m.charge(MemoryBudget.Kind.REASSEMBLY, n);
        assertEquals(MemoryBudget.State.HARD, m.state());
        return n;
    }

    @Test
    void chargesAndReleasesBalanceToZeroAfterConnectionsClose() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.mslNanos = 1_000_000_000L; // TIME-WAIT 2 s
        TcpPair p = new TcpPair(cfg, 7, 1500);
        TcpListener l = p.tb.listen(9);
        List<TcpPair.Collector> servers = new ArrayList<>();
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                TcpPair.Collector s = new TcpPair.Collector(false);
                s.closeOnEof = true;
                servers.add(s);
                c.setHandler(s);
            }
        });
        List<TcpPair.Sender> senders = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            TcpPair.Sender s = new TcpPair.Sender(300_000, i);
            senders.add(s);
            p.ta.connect(B, 9, s);
        }
        MemoryBudget ma = p.ta.memory();
        MemoryBudget mb = p.tb.memory();
        p.until(() -> servers.size() == 8 && servers.stream().allMatch(s -> s.eof), 60_000);
        for (int i = 0; i < 8; i++) {
            assertEquals(300_000, servers.get(i).count);
        }
        assertTrue(mb.peak() >= 8L * MemoryBudget.CONNECTION_BYTES + 8 * RingPool.MIN_CAPACITY,
                "connections and receive rings were charged: peak " + mb.peak());
        assertTrue(ma.peak() >= 8L * MemoryBudget.CONNECTION_BYTES + 8 * RingPool.MIN_CAPACITY, "peak " + ma.peak());
        p.run(100);
        assertTrue(p.ta.timeWaitCount() > 0, "the active closer waits in TIME-WAIT");
        assertEquals(p.ta.timeWaitCount() * (long) MemoryBudget.TIME_WAIT_BYTES, ma.used(MemoryBudget.Kind.TIME_WAIT));
        p.run(3_000); // past 2·MSL
        assertEquals(0, p.ta.connectionCount());
        assertEquals(0, p.tb.connectionCount());
        for (MemoryBudget m : List.of(ma, mb)) {
            for (MemoryBudget.Kind k : MemoryBudget.Kind.values()) {
                assertEquals(0, m.used(k), k + " on " + m);
            }
            assertEquals(0, m.used());
            assertEquals(MemoryBudget.State.NORMAL, m.state());
        }
        assertEquals(0, p.h.b.stats().get("mem.used"), "the gauge agrees");
    }

    @Test
    void atTheLimitOutOfOrderDataIsRefusedButDataInOrderIsAccepted() throws Exception {
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, opts(mss(1460), sackPerm()), 65535);
        int base = e.pNxt;
        t.send(PPORT, LPORT, base, e.aNxt(), A, 65535, bytes(100, 1));
        t.advance(50); // delayed ACK
        t.out.clear();
        assertEquals(100, e.col.count, "read, so the ring went back to the pool");
        MemoryBudget m = t.tcp.memory();
        long filler = fillToLimit(m);

        t.send(PPORT, LPORT, base + 1000, e.aNxt(), A, 65535, bytes(100, 2));
        Seg ack = t.expect();
        assertEquals(base + 100, ack.ack(), "a duplicate ACK");
        assertEquals(0, ack.opts().sackCount, "nothing held out of order");
        assertEquals(1, m.counters().get(MemCounter.DROP_OOO_HARD));

        t.send(PPORT, LPORT, base + 100, e.aNxt(), A, 65535, bytes(300, 3));
        t.advance(50);
        assertEquals(400, e.col.count, "in-order data flows through a ring that was freed");
        assertEquals(MemoryBudget.State.HARD, m.state());

        m.release(MemoryBudget.Kind.REASSEMBLY, filler);
        t.out.clear();
        t.send(PPORT, LPORT, base + 1000, e.aNxt(), A, 65535, bytes(100, 2));
        ack = t.expect();
        assertEquals(1, ack.opts().sackCount, "below the limit it is kept again");
        assertEquals(1, m.counters().get(MemCounter.DROP_OOO_HARD));
    }

    @Test
    void atTheLimitSynsAreDroppedAndCounted() throws Exception {
        TcpScript t = new TcpScript();
        t.tcp.listen(LPORT);
        MemoryBudget m = t.tcp.memory();
        long filler = fillToLimit(m);
        t.send(PPORT, LPORT, 1000, 0, S, 65535, opts(mss(1460)), new byte[0]);
        t.expectNothing(100);
        assertEquals(1, m.counters().get(MemCounter.DROP_SYN));
        assertEquals(0, t.tcp.connectionCount(), "no half-open connection");
        assertEquals(0, t.tcp.counters().get(TcpCounter.SYN_COOKIES_SENT), "and no cookie");

        m.release(MemoryBudget.Kind.REASSEMBLY, filler);
        t.send(PPORT, LPORT, 1000, 0, S, 65535, opts(mss(1460)), new byte[0]);
        Seg sa = t.expect();
        assertEquals(S | A, sa.flags());
        assertEquals(MemoryBudget.CONNECTION_BYTES, m.used(MemoryBudget.Kind.SYN_QUEUE), "the half-open connection is charged");
    }

    @Test
    void underPressureOnlyTheFirstHoleIsFilled() throws Exception {
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, opts(mss(1460), sackPerm()), 65535);
        int base = e.pNxt;
        t.send(PPORT, LPORT, base + 1000, e.aNxt(), A, 65535, bytes(100, 1));
        assertEquals(1, t.expect().opts().sackCount);
        MemoryBudget m = t.tcp.memory();
        long filler = m.pressureMark() + 1 - m.used();
        m.charge(MemoryBudget.Kind.REASSEMBLY, filler);
        assertEquals(MemoryBudget.State.PRESSURE, m.state());

        t.send(PPORT, LPORT, base + 2000, e.aNxt(), A, 65535, bytes(100, 2));
        Seg ack = t.expect();
        assertEquals(1, ack.opts().sackCount, "beyond the first range: not kept");
        assertEquals(1, m.counters().get(MemCounter.DROP_OOO_PRESSURE));

        t.send(PPORT, LPORT, base + 500, e.aNxt(), A, 65535, bytes(600, 3)); // into the first hole, past its end: trimmed
        ack = t.expect();
        assertEquals(base, ack.ack());
        t.send(PPORT, LPORT, base, e.aNxt(), A, 65535, bytes(500, 4));
        ack = t.expect();
        assertEquals(base + 1100, ack.ack(), "the hole is filled: 500 in order + 500 kept + the first range");
        assertEquals(1100, e.col.count);
        m.release(MemoryBudget.Kind.REASSEMBLY, filler);
    }

    @Test
    void aResetConnectionHoldingOutOfOrderDataGivesEverythingBack() throws Exception {
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, opts(mss(1460), sackPerm()), 65535);
        MemoryBudget m = t.tcp.memory();
        t.send(PPORT, LPORT, e.pNxt + 1000, e.aNxt(), A, 65535, bytes(1000, 1));
        assertEquals(1, t.expect().opts().sackCount);
        assertTrue(m.used(MemoryBudget.Kind.RINGS) >= 2000, "the ring holding out-of-order data is charged");
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), TcpScript.R, 65535, new byte[0]); // RST at RCV.NXT
        t.poll();
        assertEquals(TcpState.CLOSED, e.c.state());
        assertEquals(0, m.used(MemoryBudget.Kind.RINGS), "out-of-order data of a dead connection is not kept");
        assertEquals(0, m.used(), m.toString());
    }

    /** The window (bytes) in the ACK of 1000 bytes of data read at once, with the budget under pressure or not. */
    private static int windowAfterData(boolean pressure) throws Exception {
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, opts(mss(1460), TcpScript.wscale(7)), 65535);
        MemoryBudget m = t.tcp.memory();
        if (pressure) {
            m.charge(MemoryBudget.Kind.REASSEMBLY, m.pressureMark() + 1 - m.used());
            assertTrue(!m.mayGrow() && !t.tcp.buffersMayGrow());
        }
        t.send(PPORT, LPORT, e.pNxt, e.aNxt(), A | TcpScript.P, 65535, bytes(1000, 1));
        Seg ack = t.expect(100);
        assertEquals(e.pNxt + 1000, ack.ack());
        assertEquals(1000, e.col.count);
        return ack.window() << e.synAck.opts().wscale;
    }

    @Test
    void underPressureTheReceiveWindowStopsGrowing() throws Exception {
        int normal = windowAfterData(false);
        int pressure = windowAfterData(true);
        assertTrue(normal > 200_000, "NORMAL: the window opens towards the 256 KiB buffer: " + normal);
        assertTrue(pressure <= 65_536 + 128, "PRESSURE: no further than the SYN-ACK offered: " + pressure);
    }
}
