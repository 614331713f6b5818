package io.tapstack.tcp;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.tapstack.tcp.TcpPair.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The receiver, sender, timers and loss recovery of a live connection, called directly. */
class TcpPartsTest {
    private TcpPair p;
    private TcpConnection client;
    private TcpConnection server;

    private void connect() throws Exception {
        connect(new TcpConfig());
    }

    private void connect(TcpConfig cfg) throws Exception {
        p = new TcpPair(cfg, -1, 1500);
        TcpListener l = p.tb.listen(7);
        List<TcpConnection> accepted = new ArrayList<>();
        l.setChildHandler(new TcpPair.Collector(true));
        l.setAcceptHandler(x -> {
            TcpConnection c;
            while ((c = x.accept()) != null) {
                accepted.add(c);
            }
        });
        client = p.ta.connect(B, 7, new TcpPair.Collector(true));
        p.h.settle();
        assertEquals(1, accepted.size());
        server = accepted.get(0);
        assertEquals(TcpState.ESTABLISHED, client.state());
    }

    @Test
    void receiverReassemblesOutOfOrderDataAndReportsSackBlocks() throws Exception {
        connect();
        TcpReceiver r = server.rcv;
        int nxt = r.nxt;
        ByteBuffer data = ByteBuffer.wrap(new byte[300]);
        assertEquals(100, r.receiveData(nxt + 200, data, 0, 100)); // a hole of 200
        assertEquals(50, r.receiveData(nxt + 100, data, 0, 50)); // 50 of it, below the first range
        assertEquals(nxt, r.nxt);
        assertEquals("[" + Integer.toUnsignedString(nxt + 100) + "-" + Integer.toUnsignedString(nxt + 150) + ", "
                + Integer.toUnsignedString(nxt + 200) + "-" + Integer.toUnsignedString(nxt + 300) + "]", r.ooo.toString());
        assertTrue(r.ackNow); // RFC 5681 §4.2: out-of-order data is acknowledged at once
        assertEquals(2, r.sackBlocksToSend());
        ByteBuffer opt = ByteBuffer.allocate(40);
        assertEquals(4 + 16, r.writeSackBlocks(opt, 0, 2));
        assertEquals(nxt + 100, opt.getInt(4)); // RFC 2018 §4: the most recent block first
        assertEquals(nxt + 150, opt.getInt(8));
        assertEquals(nxt + 200, opt.getInt(12));
        r.receiveData(nxt, data, 0, 100);
        assertEquals(nxt + 150, r.nxt); // pulled in the first range
        r.receiveData(nxt + 150, data, 0, 50);
        assertEquals(nxt + 300, r.nxt);
        assertTrue(r.ooo.isEmpty());
        assertEquals(300, server.available());
    }

    @Test
    void senderHoldsASmallSegmentBackUnderNagle() throws Exception {
        connect();
        TcpSender s = client.snd;
        assertEquals(s.una, s.nxt);
        client.write(new byte[10], 0, 10);
        assertEquals(10, s.nxt - s.una); // nothing unacknowledged: it goes (RFC 9293 §3.7.4)
        assertSame(TcpTimers.Mode.RETRANSMIT, client.timers.mode());
        client.write(new byte[10], 0, 10);
        assertEquals(10, s.nxt - s.una); // held: small and data in flight
        p.run(100);
        assertEquals(s.una, s.max);
        assertEquals(0, client.unacknowledged());
        assertSame(TcpTimers.Mode.NONE, client.timers.mode()); // RFC 6298 §5.2
        assertFalse(client.recovery().inRecovery());
        assertTrue(client.rtt.srtt() > 0);
    }

    @Test
    void timersFollowTheCloseOfAFullTimeWaitConnection() throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.timeWaitRecords = false;
        connect(cfg);
        client.close();
        p.h.settle();
        assertEquals(TcpState.FIN_WAIT_2, client.state());
        assertSame(TcpTimers.Mode.FIN_WAIT_2, client.timers.mode());
        server.close();
        p.h.settle();
        assertEquals(TcpState.TIME_WAIT, client.state());
        assertSame(TcpTimers.Mode.TIME_WAIT, client.timers.mode());
        p.run(61_000);
        assertEquals(TcpState.CLOSED, client.state());
        assertSame(TcpTimers.Mode.NONE, client.timers.mode());
    }

    @Test
    void timeWaitMovesToARecordAndTheConnectionKeepsNoTimer() throws Exception {
        connect();
        client.close();
        p.h.settle();
        assertEquals(TcpState.FIN_WAIT_2, client.state());
        assertSame(TcpTimers.Mode.FIN_WAIT_2, client.timers.mode());
        int wheel = p.h.a.timers().size();
        server.close();
        p.h.settle();
        // issue 11: the 2·MSL runs in the TIME-WAIT record; the object keeps no timer, ring or log
        assertEquals(TcpState.TIME_WAIT, client.state());
        assertSame(TcpTimers.Mode.NONE, client.timers.mode());
        assertFalse(client.inTable);
        assertEquals(1, p.ta.timeWaitRecordCount());
        assertEquals(0, p.ta.connectionCount());
        assertEquals(null, client.snd.ring);
        assertEquals(null, client.rcv.ring);
        assertTrue(p.h.a.timers().size() <= wheel, "no more timers than before TIME-WAIT: " + p.h.a.timers().size());
        p.run(59_000);
        assertEquals(TcpState.TIME_WAIT, client.state());
        p.run(2_000);
        assertEquals(TcpState.CLOSED, client.state());
        assertEquals(0, p.ta.timeWaitCount());
        assertEquals(0, p.ta.timeWaitRecordCount());
        assertEquals(0, p.ta.counters().get(TcpCounter.TIME_WAIT_CURRENT));
        assertEquals(1, p.ta.counters().get(TcpCounter.TIME_WAIT_RECORDS));
    }
}
