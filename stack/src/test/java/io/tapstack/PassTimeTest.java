package io.tapstack;

import io.tapstack.link.LinkCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.Clock;
import io.tapstack.loop.Timer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The time and order of one pass ({@link NetStack#poll}): what a long pass sends is stamped with
 * the time it leaves, and timers fire after the frames already queued have been read (issue 11:
 * a retransmission timer started at a stale pass time, or firing before a queued ACK was read,
 * resent data the peer had acknowledged).
 */
class PassTimeTest {
    /** A clock that moves 1 ms each time it is read, as a long pass would. */
    static final class TickingClock implements Clock {
        final AtomicLong t = new AtomicLong(1_000_000_000L);

        @Override
        public long nanos() {
            return t.addAndGet(1_000_000L);
        }

        @Override
        public long wallNanos() {
            return t.get();
        }
    }

    private static byte[] ping(int seq) {
        return Frames.ipv4Frame(Frames.MAC_B, Frames.MAC_A, IP_A, IP_B, 1, 64, seq, 0,
                Frames.echoRequest(7, seq, new byte[8]));
    }

    @Test
    void timersFireOnlyAfterTheQueuedFramesAreRead() {
        PairLink[] wire = PairLink.create(1500);
        TickingClock clock = new TickingClock();
        NetStack b = new NetStack(wire[1], TwoHosts.config(IP_B, Frames.MAC_B), clock);
        b.poll(clock.nanos());
        int frames = 300; // more than four bursts of 64
        for (int i = 0; i < frames; i++) {
            wire[1].inject(ping(i));
        }
        long[] seenAtFire = {-1};
        Timer t = new Timer(now -> seenAtFire[0] = b.linkStats().get(LinkCounter.RX_FRAMES));
        long before = b.linkStats().get(LinkCounter.RX_FRAMES);
        b.timers().schedule(t, b.now()); // due already
        b.poll(clock.nanos());
        assertEquals(before + frames, seenAtFire[0], "every queued frame is read before a due timer fires");
    }

    @Test
    void theTimeOfAPassMovesWithEachFrame() {
        PairLink[] wire = PairLink.create(1500);
        TickingClock clock = new TickingClock();
        NetStack b = new NetStack(wire[1], TwoHosts.config(IP_B, Frames.MAC_B), clock);
        b.poll(clock.nanos());
        for (int i = 0; i < 10; i++) {
            wire[1].inject(ping(i));
        }
        long start = clock.nanos();
        b.poll(start);
        // ten frames read at ten clock readings: the pass ends at least 10 ms after it began
        assertTrue(b.now() >= start + 10_000_000L, "now " + (b.now() - start) / 1_000_000 + " ms after the start");
    }
}
