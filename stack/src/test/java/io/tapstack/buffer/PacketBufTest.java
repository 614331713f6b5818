package io.tapstack.buffer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PacketBufTest {
    private final PacketPool pool = new PacketPool(4, 512, 1);

    @Test
    void freshBufferHasDefaultHeadroomAndIsEmpty() {
        PacketBuf p = pool.allocate(100);
        assertEquals(PacketPool.DEFAULT_HEADROOM, p.headroom());
        assertEquals(PacketPool.DEFAULT_HEADROOM, p.start());
        assertEquals(0, p.length());
        assertEquals(512, p.capacity());
        assertEquals(512 - PacketPool.DEFAULT_HEADROOM, p.tailroom());
        assertEquals(-1, p.l2);
        assertEquals(-1, p.l3);
        assertEquals(-1, p.l4);
        assertSame(pool, p.pool());
    }

    @Test
    void appendPushPullTrimMoveTheWindow() {
        PacketBuf p = pool.allocate(100);
        int at = p.append(10);
        assertEquals(192, at);
        assertEquals(10, p.length());
        p.appendBytes(new byte[] {1, 2, 3}, 0, 3);
        assertEquals(13, p.length());
        assertEquals(3, p.buf().get(192 + 12));
        int h = p.push(14);
        assertEquals(192 - 14, h);
        assertEquals(27, p.length());
        assertEquals(192, p.pull(14));
        assertEquals(13, p.length());
        p.trim(20);
        assertEquals(13, p.length(), "trim never extends");
        p.trim(5);
        assertEquals(5, p.length());
        p.trim(0);
        assertEquals(0, p.length());
    }

    @Test
    void boundsAreEnforced() {
        PacketBuf p = pool.allocate(100);
        assertThrows(IllegalStateException.class, () -> p.push(193));
        p.push(192);
        assertEquals(0, p.headroom());
        assertThrows(IllegalStateException.class, () -> p.push(1));
        p.pull(192);
        assertThrows(IllegalStateException.class, () -> p.pull(1));
        assertThrows(IllegalStateException.class, () -> p.append(512 - 192 + 1));
        p.append(512 - 192);
        assertEquals(0, p.tailroom());
        assertThrows(IllegalStateException.class, () -> p.append(1));
        assertThrows(IndexOutOfBoundsException.class, () -> p.setWindow(-1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> p.setWindow(10, 9));
        assertThrows(IndexOutOfBoundsException.class, () -> p.setWindow(0, 513));
        p.setWindow(0, 512);
        assertEquals(512, p.length());
    }

    @Test
    void negativeSizesAreRejected() {
        PacketBuf p = pool.allocate(100);
        p.append(10);
        assertThrows(RuntimeException.class, () -> p.push(-1));
        assertThrows(RuntimeException.class, () -> p.pull(-1));
        assertThrows(RuntimeException.class, () -> p.append(-1));
        assertThrows(RuntimeException.class, () -> p.trim(-1));
        assertEquals(10, p.length());
        assertEquals(192, p.start());
    }

    @Test
    void toArrayCopiesTheWindow() {
        PacketBuf p = pool.allocate(10);
        p.appendBytes(new byte[] {9, 8, 7, 6}, 1, 3);
        assertArrayEquals(new byte[] {8, 7, 6}, p.toArray());
        p.pull(1);
        assertArrayEquals(new byte[] {7, 6}, p.toArray());
    }

    @Test
    void reuseAfterReleaseResetsMetadata() {
        PacketBuf p = pool.allocate(10);
        p.l3 = 5;
        p.csumState = PacketBuf.CSUM_PARTIAL;
        p.gsoType = 1;
        p.tag = 99;
        p.append(50);
        p.release();
        PacketBuf q = pool.allocate(10);
        assertSame(p, q, "LIFO reuse keeps the cache warm");
        assertEquals(-1, q.l3);
        assertEquals(PacketBuf.CSUM_NONE, q.csumState);
        assertEquals(0, q.gsoType);
        assertEquals(0, q.tag);
        assertEquals(0, q.length());
        assertNull(q.next);
        assertNotNull(q.buf());
    }
}
