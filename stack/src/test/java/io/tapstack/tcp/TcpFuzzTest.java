package io.tapstack.tcp;

import io.tapstack.link.LinkCounter;
import io.tapstack.wire.Checksum;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random bytes as TCP segments (with and without a valid checksum) never throw or leak. */
class TcpFuzzTest {
    @Test
    void randomSegmentsNeverThrow() throws Exception {
        long seed = 20240611L;
        SplittableRandom r = new SplittableRandom(seed);
        TcpScript t = new TcpScript();
        TcpScriptedTest.Est e = TcpScriptedTest.open(t, TcpScript.opts(TcpScript.mss(1460), TcpScript.sackPerm(),
                TcpScript.ts(1, 0), TcpScript.wscale(4)), 65535);
        e.c.write(ByteBuffer.wrap(new byte[50_000]));
        int freeBefore = t.a.pool().availableSmall();
        for (int i = 0; i < 30_000; i++) {
            int len = 20 + r.nextInt(120);
            byte[] seg = new byte[len];
            for (int k = 0; k < len; k++) {
                seg[k] = (byte) r.nextInt(256);
            }
            ByteBuffer b = ByteBuffer.wrap(seg);
            if (r.nextBoolean()) {
                // aim at the live connection or the listener, so deeper code runs
                b.putShort(0, (short) TcpScriptedTest.PPORT);
                b.putShort(2, (short) (r.nextBoolean() ? TcpScriptedTest.LPORT : 80 + r.nextInt(3)));
                if (r.nextBoolean()) {
                    b.putInt(4, e.pNxt + r.nextInt(200_000) - 100_000);
                    b.putInt(8, e.aNxt() + r.nextInt(100_000) - 50_000);
                }
                b.put(12, (byte) ((5 + r.nextInt(11)) << 4));
            }
            byte[] opts = new byte[0];
            byte[] frame = TcpScript.frame(0, 0, 0, 0, 0, 0, opts, new byte[len - 20]);
            System.arraycopy(seg, 0, frame, 34, len);
            ByteBuffer f = ByteBuffer.wrap(frame);
            if (r.nextInt(4) != 0) {
                f.putShort(34 + 16, (short) 0);
                long sum = Checksum.pseudoV4(TcpScript.PEER, TcpScript.SELF, 6, len);
                f.putShort(34 + 16, (short) Checksum.finish(Checksum.add(sum, f, 34, len)));
            }
            t.wireA.inject(frame);
            if (i % 64 == 0) {
                t.advance(1);
            }
        }
        t.advance(100);
        t.out.clear();
        assertEquals(0, t.a.linkStats().get(LinkCounter.INTERNAL_ERROR), "seed=" + seed);
        assertTrue(t.tcp.counters().get(TcpCounter.DROP_BAD_CHECKSUM) > 0);
        assertTrue(t.tcp.counters().get(TcpCounter.DROP_BAD_OFFSET) + t.tcp.counters().get(TcpCounter.DROP_BAD_OPTIONS) > 0);
        // no buffers leaked (what is in flight on the wire has been drained)
        assertTrue(t.a.pool().availableSmall() >= freeBefore - 2, "pool " + t.a.pool().availableSmall() + " vs " + freeBefore);
    }
}
