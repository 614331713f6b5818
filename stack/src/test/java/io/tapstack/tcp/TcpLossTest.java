package io.tapstack.tcp;

import io.tapstack.link.FaultyLink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.tapstack.tcp.TcpPair.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10 MB bulk transfers over a faulty wire (loss in both directions, duplication, reordering),
 * byte-identical by SHA-256. Each failure message carries the seed for replay.
 */
class TcpLossTest {
    @ParameterizedTest(name = "loss {0} dup {1} reorder {2} seed {3}")
    @CsvSource({
            "0.00, 0.00, 0.00, 1",
            "0.01, 0.01, 0.01, 2",
            "0.05, 0.01, 0.02, 3",
            "0.10, 0.02, 0.02, 4",
    })
    void tenMegabytesArriveIntact(double loss, double dup, double reorder, long seed) throws Exception {
        run(loss, dup, reorder, seed, null);
    }

    /** The same transfers with each congestion control named explicitly (RFC 9438 CUBIC, NewReno). */
    @ParameterizedTest(name = "{4}: loss {0} dup {1} reorder {2} seed {3}")
    @CsvSource({
            "0.00, 0.00, 0.00, 1, cubic",
            "0.01, 0.01, 0.01, 2, cubic",
            "0.05, 0.01, 0.02, 3, cubic",
            "0.10, 0.02, 0.02, 4, cubic",
            "0.00, 0.00, 0.00, 1, newreno",
            "0.01, 0.01, 0.01, 2, newreno",
            "0.05, 0.01, 0.02, 3, newreno",
            "0.10, 0.02, 0.02, 4, newreno",
    })
    void tenMegabytesArriveIntactWith(double loss, double dup, double reorder, long seed, String cc) throws Exception {
        run(loss, dup, reorder, seed, cc);
    }

    private static void run(double loss, double dup, double reorder, long seed, String cc) throws Exception {
        long total = 10L << 20;
        TcpConfig cfg = new TcpConfig();
        if (cc != null) {
            cfg.congestionControl = cc;
        }
        TcpPair p = new TcpPair(cfg, seed, 1500);
        for (FaultyLink f : new FaultyLink[] {p.h.faultyA, p.h.faultyB}) {
            f.rx.loss(loss).duplicate(dup).reorder(reorder).delay(1_000_000L);
            f.rx.reorderDelayNanos = 3_000_000L;
        }
        TcpListener l = p.tb.listen(9);
        TcpPair.Collector server = new TcpPair.Collector(false);
        l.setChildHandler(server);
        l.setAcceptHandler(x -> {
            while (x.accept() != null) {
                // handler from setChildHandler
            }
        });
        TcpPair.Sender sender = new TcpPair.Sender(total, seed * 7919);
        TcpConnection c = p.ta.connect(B, 9, sender);
        String ctx = "seed=" + seed + " loss=" + loss + " cc=" + c.info().congestionControl();
        long t0 = System.nanoTime();
        try {
            p.until(() -> server.eof, 3_600_000);
        } catch (AssertionError e) {
            throw new AssertionError(ctx + ": " + e.getMessage() + " received=" + server.count + " info=" + c.info().format()
                    + "\nA: " + p.h.a.stats().format(false) + "\nB: " + p.h.b.stats().format(false), e);
        }
        assertEquals(total, server.count, ctx);
        assertEquals(TcpPair.hex(sender.digest.digest()), TcpPair.hex(server.digest.digest()), ctx);
        if (loss > 0) {
            assertTrue(p.h.faultyA.rxDropped() + p.h.faultyB.rxDropped() > 0, ctx + ": nothing was dropped");
            assertTrue(p.ta.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS) > 0, ctx);
        }
        System.out.printf("%s: %d ms virtual, %d ms real, retrans=%d fast=%d rto=%d%n", ctx,
                (p.h.clock.nanos() - 1_000_000_000L) / 1_000_000, (System.nanoTime() - t0) / 1_000_000,
                p.ta.counters().get(TcpCounter.RETRANSMITTED_SEGMENTS),
                p.ta.counters().get(TcpCounter.FAST_RETRANSMITS), p.ta.counters().get(TcpCounter.RTO_TIMEOUTS));
    }
}
