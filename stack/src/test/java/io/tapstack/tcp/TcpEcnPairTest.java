package io.tapstack.tcp;

import io.tapstack.TwoHosts;
import io.tapstack.wire.IpAddr;
import io.tapstack.wire.Ipv6InterfaceAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 3168 end to end between two stacks on virtual time: a bulk transfer over a wire whose
 * receiving end marks CE on a share of the ECN-capable packets (an AQM router, RFC 3168 §5),
 * over IPv4 (ECN field in the TOS octet) and IPv6 (in the traffic class).
 */
class TcpEcnPairTest {
    static final long TOTAL = 2L << 20;

    @ParameterizedTest(name = "ipv{0} {1} ecn={2}")
    @CsvSource({"4, cubic, ON", "6, cubic, ON", "4, newreno, ON", "6, newreno, PASSIVE", "4, cubic, OFF"})
    void ceMarksAreEchoedAndAnsweredWithoutRetransmission_rfc3168s6(int version, String cc, TcpConfig.EcnMode mode)
            throws Exception {
        TcpConfig cfg = new TcpConfig();
        cfg.ecn = mode;
        cfg.congestionControl = cc;
        TwoHosts h = new TwoHosts(1500, 11, c -> c.ipv6.add(Ipv6InterfaceAddress.parse(
                c.ipv4.get(0).address() == TwoHosts.IP_A ? "fd00::1/64" : "fd00::2/64")), cfg);
        Tcp ta = h.a.tcp();
        Tcp tb = h.b.tcp();
        h.run(3_000_000_000L, 1_000_000L); // duplicate address detection
        h.faultyA.rx.delay(1_000_000L);
        h.faultyB.rx.delay(1_000_000L).ce(0.02);
        TcpListener l = tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler from setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(TOTAL, 5);
        IpAddr dst = version == 4 ? TcpPair.B : IpAddr.parse("fd00::2");
        TcpConnection c = ta.connect(dst, 9, sender);
        h.until(() -> server.eof, 600_000_000_000L, 1_000_000L);
        String ctx = "ipv" + version + " " + cc + " " + mode + " A: " + ta.counters().snapshot() + " B: " + tb.counters().snapshot();
        assertEquals(TOTAL, server.count, ctx);
        assertEquals(TcpPair.hex(sender.digest.digest()), TcpPair.hex(server.digest.digest()), ctx);
        long marked = h.faultyB.ceMarked();
        if (mode != TcpConfig.EcnMode.ON) {
            // the active side did not ask: no ECT, so nothing could be marked, and no ECN at all
            assertEquals(0, marked, ctx);
            assertEquals(0, tb.counters().get(TcpCounter.CE_RECEIVED) + ta.counters().get(TcpCounter.ECN_NEGOTIATED)
                    + tb.counters().get(TcpCounter.ECN_NEGOTIATED), ctx);
            return;
        }
        assertEquals(1, ta.counters().get(TcpCounter.ECN_NEGOTIATED), ctx);
        assertEquals(1, tb.counters().get(TcpCounter.ECN_NEGOTIATED), ctx);
        assertTrue(marked > 10, "the link marked ECT data " + marked + " times: " + ctx);
        assertEquals(marked, tb.counters().get(TcpCounter.CE_RECEIVED), ctx);
        assertTrue(tb.counters().get(TcpCounter.ECE_SENT) > 0, ctx);
        long reductions = ta.counters().get(TcpCounter.ECN_REDUCTIONS);
        assertTrue(ta.counters().get(TcpCounter.ECE_RECEIVED) >= reductions, ctx);
        assertTrue(reductions > 0 && reductions <= marked, ctx);
        assertEquals(ta.counters().get(TcpCounter.CWR_SENT), tb.counters().get(TcpCounter.CWR_RECEIVED), ctx);
        assertTrue(ta.counters().get(TcpCounter.CWR_SENT) > 0, ctx);
        // congestion was signalled, never a loss: nothing resent
        assertEquals(0, ta.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS), ctx);
        assertEquals(0, ta.counters().get(TcpCounter.RECOVERY_EPISODES), ctx);
        assertTrue(c.cwnd() < 200 * c.mss(), "cwnd is held down: " + c.cwnd() + " " + ctx);
    }
}
