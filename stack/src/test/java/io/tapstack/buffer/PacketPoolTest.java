package io.tapstack.buffer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PacketPoolTest {
    @Test
    void exhaustionReturnsNullAndIsCounted() {
        PacketPool pool = new PacketPool(3, 512, 0);
        List<PacketBuf> l = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            l.add(assertNotNullAnd(pool.allocate(100)));
        }
        assertEquals(0, pool.availableSmall());
        assertNull(pool.allocate(100));
        assertNull(pool.allocate(100));
        assertEquals(2, pool.exhaustedCount());
        l.remove(0).release();
        assertEquals(1, pool.availableSmall());
        assertNotNull(pool.allocate(100));
        assertEquals(2, pool.exhaustedCount());
    }

    private static PacketBuf assertNotNullAnd(PacketBuf p) {
        assertNotNull(p);
        return p;
    }

    @Test
    void doubleReleaseThrows() {
        PacketPool pool = new PacketPool(2, 512, 1);
        PacketBuf p = pool.allocate(10);
        p.release();
        assertThrows(IllegalStateException.class, p::release);
        assertEquals(2, pool.availableSmall(), "the failed release did not add the buffer twice");
        PacketBuf big = pool.allocate(10_000);
        big.release();
        assertThrows(IllegalStateException.class, big::release);
        assertEquals(1, pool.availableLarge());
    }

    @Test
    void sizeClasses() {
        PacketPool pool = new PacketPool(2, 512, 2);
        assertEquals(2, pool.totalSmall());
        assertEquals(2, pool.totalLarge());
        PacketBuf s = pool.allocate(512 - PacketPool.DEFAULT_HEADROOM);
        assertEquals(512, s.capacity(), "fits the small class exactly");
        PacketBuf l = pool.allocate(512 - PacketPool.DEFAULT_HEADROOM + 1);
        assertEquals(PacketPool.LARGE_SIZE, l.capacity());
        assertEquals(1, pool.availableSmall());
        assertEquals(1, pool.availableLarge());
        PacketBuf max = pool.allocate(65535 + 14);
        assertNotNull(max, "a full 64 KiB datagram with link header fits a large buffer");
        assertNull(pool.allocate(PacketPool.LARGE_SIZE), "nothing is larger than the large class");
        l.release();
        max.release();
        s.release();
        assertEquals(2, pool.availableSmall());
        assertEquals(2, pool.availableLarge());
    }

    @Test
    void smallRequestsFallBackToLargeWhenSmallIsEmpty() {
        PacketPool pool = new PacketPool(1, 512, 1);
        PacketBuf a = pool.allocate(10);
        PacketBuf b = pool.allocate(10);
        assertNotNull(b);
        assertEquals(PacketPool.LARGE_SIZE, b.capacity());
        assertNull(pool.allocate(10));
        b.release();
        a.release();
        assertEquals(1, pool.availableSmall(), "each buffer goes back to its own class");
        assertEquals(1, pool.availableLarge());
    }

    @Test
    void buffersDoNotOverlap() {
        PacketPool pool = new PacketPool(600, 64 << 10, 0); // spans more than one 16 MiB slab
        List<PacketBuf> l = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            PacketBuf p = pool.allocate(10);
            p.buf().putInt(0, i);
            p.buf().putInt(p.capacity() - 4, i);
            l.add(p);
        }
        for (int i = 0; i < 600; i++) {
            PacketBuf p = l.get(i);
            assertEquals(i, p.buf().getInt(0));
            assertEquals(i, p.buf().getInt(p.capacity() - 4));
        }
    }

    @Test
    void forMtuHoldsAFullFrameAfterTheHeadroom() {
        PacketPool pool = PacketPool.forMtu(1500);
        PacketBuf p = pool.allocate(1500 + 14 + 10);
        assertEquals(pool.smallSize(), p.capacity());
        assertEquals(0, pool.smallSize() % 64);
    }
}
