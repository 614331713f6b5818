package io.tapstack.buffer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketQueueTest {
    @Test
    void fifoWithABound() {
        PacketPool pool = new PacketPool(8, 256, 0);
        PacketQueue q = new PacketQueue(3);
        PacketBuf[] p = new PacketBuf[4];
        for (int i = 0; i < 4; i++) {
            p[i] = pool.allocate(1);
        }
        assertTrue(q.isEmpty());
        assertTrue(q.offer(p[0]));
        assertTrue(q.offer(p[1]));
        assertTrue(q.offer(p[2]));
        assertFalse(q.offer(p[3]), "full");
        assertEquals(3, q.size());
        assertEquals(3, q.limit());
        assertNull(p[3].next, "a refused packet is not linked in");
        assertSame(p[0], q.peek());
        assertSame(p[0], q.poll());
        assertNull(p[0].next);
        assertTrue(q.offer(p[3]));
        assertSame(p[1], q.poll());
        assertSame(p[2], q.poll());
        assertSame(p[3], q.poll());
        assertNull(q.poll());
        assertTrue(q.isEmpty());
    }

    @Test
    void clearReleasesEverything() {
        PacketPool pool = new PacketPool(8, 256, 0);
        PacketQueue q = new PacketQueue(8);
        for (int i = 0; i < 5; i++) {
            q.offer(pool.allocate(1));
        }
        assertEquals(3, pool.availableSmall());
        assertEquals(5, q.clear());
        assertEquals(8, pool.availableSmall());
        assertEquals(0, q.size());
        assertNull(q.peek());
        assertTrue(q.offer(pool.allocate(1)), "usable after clear");
    }

    @Test
    void zeroLimitHoldsNothing() {
        PacketPool pool = new PacketPool(1, 256, 0);
        assertFalse(new PacketQueue(0).offer(pool.allocate(1)));
    }
}
