package io.tapstack.link;

import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tapstack.Frames;
import io.tapstack.TwoHosts;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stack's frame-tap SPI: several taps at the link boundary, attached and detached at will. */
class FrameTapTest {

    /** Records direction and timestamp with each frame (synchronized: read by the test thread). */
    static final class Timed implements FrameTap {
        final List<byte[]> frames = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        final List<Boolean> outbound = new ArrayList<>();

        @Override
        public synchronized void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean out) {
            byte[] f = new byte[len];
            buf.get(off, f, 0, len);
            frames.add(f);
            times.add(wallNanos);
            outbound.add(out);
        }
    }

    private static TwoHosts resolved() {
        TwoHosts h = new TwoHosts();
        h.a.icmp().sendEchoRequest(IP_B, 1, 1, new byte[0]);
        h.settle();
        return h;
    }

    @Test
    void everyTapSeesTheSameFramesWithTheLoopsWallClock() {
        TwoHosts h = resolved();
        Timed t1 = new Timed();
        Timed t2 = new Timed();
        h.b.addFrameTap(t1);
        h.b.addFrameTap(t2);
        h.b.addFrameTap(t1); // twice: no effect
        h.clock.advance(5_000);
        h.a.icmp().sendEchoRequest(IP_B, 1, 2, new byte[8]);
        h.settle();
        // B receives the request and sends the reply
        assertEquals(List.of(false, true), t1.outbound);
        assertEquals(t1.outbound, t2.outbound);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(t1.frames.get(i), t2.frames.get(i));
            assertEquals(h.clock.wallNanos(), t1.times.get(i));
            assertEquals(t1.times.get(i), t2.times.get(i));
        }
        assertEquals(0x0800, Frames.etherType(t1.frames.get(0))); // IPv4
    }

    @Test
    void removedTapSeesNothingMoreAndSetFrameTapReplacesOnlyItsOwn() {
        TwoHosts h = resolved();
        Timed added = new Timed();
        Timed set1 = new Timed();
        Timed set2 = new Timed();
        h.b.addFrameTap(added);
        h.b.setFrameTap(set1);
        h.b.setFrameTap(set2); // replaces set1, keeps added
        h.a.icmp().sendEchoRequest(IP_B, 1, 2, new byte[0]);
        h.settle();
        assertEquals(2, added.frames.size());
        assertTrue(set1.frames.isEmpty());
        assertEquals(2, set2.frames.size());

        h.b.removeFrameTap(added);
        h.b.removeFrameTap(added); // not attached: no effect
        h.b.setFrameTap(null);
        h.a.icmp().sendEchoRequest(IP_B, 1, 3, new byte[0]);
        h.settle();
        assertEquals(2, added.frames.size());
        assertEquals(2, set2.frames.size());
        assertTrue(set1.frames.isEmpty());
    }

    @Test
    void tapsMayComeAndGoWhileTheLoopRuns() throws Exception {
        TwoHosts h = resolved();
        Timed[] taps = new Timed[4];
        for (int i = 0; i < taps.length; i++) {
            taps[i] = new Timed();
        }
        Thread other = new Thread(() -> {
            for (int round = 0; round < 2000; round++) {
                Timed t = taps[round % taps.length];
                if (round % 2 == 0) {
                    h.b.addFrameTap(t);
                } else {
                    h.b.removeFrameTap(t);
                }
            }
        });
        other.start();
        for (int i = 0; i < 500; i++) {
            h.a.icmp().sendEchoRequest(IP_B, 1, i, new byte[0]);
            h.settle();
        }
        other.join();
        for (Timed t : taps) {
            h.b.removeFrameTap(t);
        }
        h.a.icmp().sendEchoRequest(IP_B, 1, 1000, new byte[0]);
        int[] before = new int[taps.length];
        for (int i = 0; i < taps.length; i++) {
            synchronized (taps[i]) {
                before[i] = taps[i].frames.size();
            }
        }
        h.settle();
        for (int i = 0; i < taps.length; i++) {
            synchronized (taps[i]) {
                assertEquals(before[i], taps[i].frames.size(), "a removed tap saw a frame");
            }
        }
    }
}
