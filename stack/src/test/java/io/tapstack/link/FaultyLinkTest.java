package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.loop.VirtualClock;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FaultyLink: seeded faults, deterministic for a seed and a clock. */
class FaultyLinkTest {
    private static final long MS = 1_000_000L;

    private final VirtualClock clock = new VirtualClock();
    private final PacketPool pool = new PacketPool(256, 512, 0);
    private final PairLink[] wire = PairLink.create(1500);

    private FaultyLink faulty(long seed) {
        FaultyLink f = new FaultyLink(wire[1], clock, seed);
        f.attach(pool);
        return f;
    }

    private static byte[] frame(int id) {
        byte[] f = new byte[64];
        ByteBuffer.wrap(f).putInt(20, id);
        for (int i = 24; i < 64; i++) {
            f[i] = (byte) (id * 31 + i);
        }
        return f;
    }

    private static int id(byte[] f) {
        return ByteBuffer.wrap(f).getInt(20);
    }

    /** Receives everything available now, as arrays, releasing the buffers. */
    private List<byte[]> drain(FaultyLink f) {
        List<byte[]> l = new ArrayList<>();
        PacketBuf[] out = new PacketBuf[64];
        int n;
        while ((n = f.receive(pool, out, out.length)) > 0) {
            for (int i = 0; i < n; i++) {
                l.add(out[i].toArray());
                out[i].release();
                out[i] = null;
            }
        }
        return l;
    }

    /** Sends {@code n} frames through the receive side and returns the ids that came out. */
    private List<Integer> pass(FaultyLink f, int n) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            wire[1].inject(frame(i));
            if (wire[1].pending() >= 32) {
                drain(f).forEach(b -> ids.add(id(b)));
            }
        }
        drain(f).forEach(b -> ids.add(id(b)));
        return ids;
    }

    @Test
    void lossRateIsRoughlyAsConfigured() {
        FaultyLink f = faulty(1);
        f.rx.loss(0.25);
        List<Integer> ids = pass(f, 20_000);
        assertEquals(20_000, ids.size() + f.rxDropped(), "every frame is either delivered or counted");
        double rate = f.rxDropped() / 20_000.0;
        assertTrue(rate > 0.22 && rate < 0.28, "loss " + rate);
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(ids.get(i) > ids.get(i - 1), "loss alone does not reorder");
        }
        assertEquals(pool.totalSmall(), pool.availableSmall(), "dropped frames are released");
    }

    @Test
    void deterministicForASeed() {
        List<Integer> a = pass(configured(faulty(7)), 5000);
        List<Integer> b = pass(configured(faulty(7)), 5000);
        assertEquals(a, b);
        List<Integer> c = pass(configured(faulty(8)), 5000);
        assertNotEquals(a, c);
    }

    private static FaultyLink configured(FaultyLink f) {
        f.rx.loss(0.1).duplicate(0.1).corrupt(0.1);
        return f;
    }

    @Test
    void duplication() {
        FaultyLink f = faulty(2);
        f.rx.duplicate(0.1);
        List<byte[]> got = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            wire[1].inject(frame(i));
            got.addAll(drain(f));
        }
        assertEquals(10_000 + f.duplicated(), got.size());
        assertTrue(f.duplicated() > 800 && f.duplicated() < 1200, "duplicated " + f.duplicated());
        int[] seen = new int[10_000];
        for (byte[] g : got) {
            assertArrayEquals(frame(id(g)), g, "a duplicate is an exact copy");
            seen[id(g)]++;
        }
        for (int s : seen) {
            assertTrue(s == 1 || s == 2);
        }
    }

    @Test
    void corruptionFlipsExactlyOneBit() {
        FaultyLink f = faulty(3);
        f.rx.corrupt(1.0);
        int n = 2000;
        for (int i = 0; i < n; i++) {
            wire[1].inject(frame(i));
            List<byte[]> got = drain(f);
            assertEquals(1, got.size());
            byte[] g = got.get(0);
            byte[] orig = frame(i);
            int bits = 0;
            for (int k = 0; k < orig.length; k++) {
                bits += Integer.bitCount((orig[k] ^ g[k]) & 0xff);
            }
            assertEquals(1, bits, "frame " + i);
        }
        assertEquals(n, f.corrupted());
    }

    @Test
    void delayHoldsFramesUntilTheClockPasses() {
        FaultyLink f = faulty(4);
        f.rx.delay(10 * MS);
        long t0 = clock.nanos();
        wire[1].inject(frame(1));
        wire[1].inject(frame(2));
        assertTrue(drain(f).isEmpty());
        assertEquals(t0 + 10 * MS, f.nextDeadline());
        clock.advance(5 * MS);
        wire[1].inject(frame(3));
        assertTrue(drain(f).isEmpty());
        clock.advance(5 * MS - 1);
        assertTrue(drain(f).isEmpty(), "1 ns early");
        clock.advance(1);
        List<byte[]> got = drain(f);
        assertEquals(List.of(1, 2), got.stream().map(FaultyLinkTest::id).toList());
        assertEquals(t0 + 15 * MS, f.nextDeadline());
        clock.advance(5 * MS);
        assertEquals(List.of(3), drain(f).stream().map(FaultyLinkTest::id).toList());
        assertEquals(Long.MAX_VALUE, f.nextDeadline());
        assertEquals(pool.totalSmall(), pool.availableSmall());
    }

    @Test
    void reorderDelaysSomeFramesPastOthers() {
        FaultyLink f = faulty(5);
        f.rx.reorder(0.3);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            wire[1].inject(frame(i));
            drain(f).forEach(b -> ids.add(id(b)));
            clock.advance(MS);
        }
        clock.advance(f.rx.reorderDelayNanos);
        drain(f).forEach(b -> ids.add(id(b)));
        assertEquals(1000, ids.size(), "nothing lost");
        assertEquals(1000, ids.stream().distinct().count());
        int inversions = 0;
        for (int i = 1; i < ids.size(); i++) {
            if (ids.get(i) < ids.get(i - 1)) {
                inversions++;
            }
        }
        assertTrue(f.reordered() > 200 && inversions > 100, "reordered " + f.reordered() + " inversions " + inversions);
    }

    @Test
    void transmitSideLossAndDelay() {
        FaultyLink f = new FaultyLink(wire[0], clock, 6);
        f.attach(pool);
        f.tx.loss(0.5);
        for (int i = 0; i < 1000; i++) {
            PacketBuf p = pool.allocate(64);
            p.appendBytes(frame(i), 0, 64);
            assertTrue(f.transmit(p));
        }
        assertEquals(1000, wire[1].pending() + f.txDropped());
        assertTrue(f.txDropped() > 430 && f.txDropped() < 570, "dropped " + f.txDropped());
        int before = wire[1].pending();
        f.tx.loss(0).delay(3 * MS);
        PacketBuf p = pool.allocate(64);
        p.appendBytes(frame(5000), 0, 64);
        f.transmit(p);
        f.flush();
        assertEquals(before, wire[1].pending(), "held");
        clock.advance(3 * MS);
        f.flush();
        assertEquals(before + 1, wire[1].pending(), "sent once the clock passed");
        assertEquals(pool.totalSmall(), pool.availableSmall());
    }

    @Test
    void noFaultsPassesEverythingThrough() {
        FaultyLink f = faulty(9);
        assertEquals(1000, pass(f, 1000).size());
        assertEquals(0, f.rxDropped() + f.duplicated() + f.corrupted() + f.reordered());
    }
}
