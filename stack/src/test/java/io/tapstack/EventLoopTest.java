package io.tapstack;

import io.tapstack.ip.IcmpCounter;
import io.tapstack.link.PairLink;
import io.tapstack.loop.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.tapstack.TwoHosts.IP_A;
import static io.tapstack.TwoHosts.IP_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event loop on a real thread and the system clock; every wait is bounded. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EventLoopTest {
    private PairLink[] wire;
    private EventLoop loop;

    @BeforeEach
    void setUp() {
        wire = PairLink.create(1500);
        NetStack b = new NetStack(wire[1], TwoHosts.config(IP_B, Frames.MAC_B), Clock.SYSTEM);
        loop = new EventLoop(b, "test-loop");
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    @Test
    void executeAndCallRunOnTheLoopThreadInOrder() throws Exception {
        loop.start();
        List<Integer> seen = new ArrayList<>(); // touched only on the loop thread
        boolean[] allInLoop = {true};
        for (int i = 0; i < 2000; i++) {
            int n = i;
            loop.execute(() -> {
                allInLoop[0] &= loop.inLoop();
                seen.add(n);
            });
        }
        List<Integer> copy = loop.call(() -> new ArrayList<>(seen)).get(5, TimeUnit.SECONDS);
        assertEquals(2000, copy.size());
        for (int i = 0; i < 2000; i++) {
            assertEquals(i, copy.get(i));
        }
        assertTrue(loop.call(() -> allInLoop[0]).get(5, TimeUnit.SECONDS));
        assertEquals("test-loop", loop.call(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS));
        assertFalse(loop.inLoop());
    }

    @Test
    void aCommandRunsAtTheTimeItRunsNotAtTheLastPassBeforeTheLoopSlept() throws Exception {
        loop.start();
        loop.call(() -> 0).get(5, TimeUnit.SECONDS);
        Thread.sleep(50); // the loop is asleep in the link, its last pass behind us
        long before = Clock.SYSTEM.nanos();
        long seen = loop.call(() -> loop.stack().now()).get(5, TimeUnit.SECONDS);
        // what a command sends (a write from a blocking socket, a Netty channel) is stamped and
        // its retransmission timer started at this time (RFC 6298 §5.1)
        assertTrue(seen >= before, "the command saw a time " + (before - seen) / 1_000 + " µs old");
    }

    @Test
    void callPropagatesExceptionsAndRunsInlineOnTheLoop() throws Exception {
        loop.start();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> loop.call(() -> { throw new IllegalArgumentException("boom"); }).get(5, TimeUnit.SECONDS));
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        // a call made on the loop completes at once (no deadlock waiting for itself)
        assertEquals(42, loop.call(() -> loop.call(() -> 42).getNow(-1)).get(5, TimeUnit.SECONDS));
        assertNull(loop.failure());
    }

    @Test
    void aThrowingCommandDoesNotStopTheLoop() throws Exception {
        loop.start();
        loop.execute(() -> {
            throw new IllegalStateException("a command's bug");
        });
        assertEquals(7, loop.call(() -> 7).get(5, TimeUnit.SECONDS), "the loop still runs commands");
        assertEquals(1, loop.call(() -> loop.stack().linkStats().get(io.tapstack.link.LinkCounter.INTERNAL_ERROR))
                .get(5, TimeUnit.SECONDS), "and counts the failure");
        assertNull(loop.failure());
    }

    @Test
    void theStackIsPolled() throws Exception {
        loop.start();
        byte[] echo = Frames.ipv4Frame(Frames.MAC_B, Frames.MAC_A, IP_A, IP_B, 1, 64, 1, 0,
                Frames.echoRequest(1, 2, new byte[8]));
        loop.execute(() -> wire[1].inject(echo)); // the wire is touched on the loop thread only
        long deadline = System.nanoTime() + 5_000_000_000L;
        long n = 0;
        while (n == 0 && System.nanoTime() < deadline) {
            n = loop.call(() -> loop.stack().icmp().counters().get(IcmpCounter.RX_ECHO_REQUEST)).get(5, TimeUnit.SECONDS);
        }
        assertEquals(1, n);
    }

    @Test
    void theSpinAfterWorkCountsFromTheEndOfTheWork() throws Exception {
        // a frame whose handling takes 1 ms (the clock jumps while the stack handles it): the
        // loop's "last work" is when that handling ended, so a 20 µs spin after work still
        // happens; counted from the pass's start it never would (the Netty transport's idle test
        // saw no spin at all on a loaded CI machine)
        loop.close();
        long[] skew = new long[1];
        long[] handledAt = new long[1];
        Clock slow = new Clock() {
            @Override
            public long nanos() {
                return System.nanoTime() + skew[0]; // only the loop thread reads and moves it
            }

            @Override
            public long wallNanos() {
                return Clock.SYSTEM.wallNanos();
            }
        };
        PairLink[] w = PairLink.create(1500);
        NetStack b = new NetStack(w[1], TwoHosts.config(IP_B, Frames.MAC_B), slow);
        b.addFrameTap((buf, off, len, wall, outbound) -> {
            if (!outbound) {
                skew[0] += 1_000_000;
                handledAt[0] = slow.nanos();
            }
        });
        EventLoop l = new EventLoop(b, "slow-loop", io.tapstack.loop.IdlePolicy.spinOnly(20_000));
        try {
            l.start();
            byte[] echo = Frames.ipv4Frame(Frames.MAC_B, Frames.MAC_A, IP_A, IP_B, 1, 64, 1, 0,
                    Frames.echoRequest(1, 2, new byte[8]));
            l.execute(() -> w[1].inject(echo));
            // a pass runs its commands before it polls: the first call that sees the frame handled
            // runs in the pass after the frame's and reads the end of that pass
            long[] seen = {0, 0};
            for (int i = 0; i < 1000 && seen[0] == 0; i++) {
                seen = l.call(() -> new long[] {handledAt[0], l.lastWorkNanos()}).get(5, TimeUnit.SECONDS);
            }
            assertTrue(seen[0] != 0, "the frame was handled");
            assertTrue(seen[1] >= seen[0], "last work " + (seen[0] - seen[1]) + " ns before the frame's handling ended");
        } finally {
            l.close();
        }
    }

    @Test
    void closeStopsTheLoopPromptly() throws Exception {
        loop.start();
        loop.call(() -> 1).get(5, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        loop.close();
        long took = System.nanoTime() - t0;
        assertTrue(took < 2_000_000_000L, "close took " + took / 1_000_000 + " ms");
        long passes = loop.passes();
        Thread.sleep(50);
        assertEquals(passes, loop.passes(), "the loop no longer runs (PairLink.await never blocks, so it would spin)");
        assertThrows(IllegalStateException.class, () -> loop.execute(() -> {
        }));
        assertNull(loop.failure());
        loop.close(); // idempotent
    }

    @Test
    void closeOfALoopThatNeverStartedReturnsAtOnce() {
        long t0 = System.nanoTime();
        loop.close();
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }
}
