package io.tapstack.buffer;

import java.nio.ByteBuffer;

/**
 * A pool of {@link PacketBuf}s carved from direct memory, in two size classes: small buffers
 * for ordinary frames and large ones (64 KiB + headroom) for GSO/TSO segments and reassembled
 * datagrams. Owned by one event loop: not thread-safe, by design (no locks on the hot path).
 *
 * <p>Exhaustion is not an error: {@link #allocate(int)} returns {@code null} and the caller
 * drops and counts the packet.
 */
public final class PacketPool {
    /** Headroom reserved in front of every new packet: virtio-net (12) + Ethernet (14) + IP (60 max) + TCP (60 max) + spare. */
    public static final int DEFAULT_HEADROOM = 192;
    /** Largest IP datagram plus headroom and link headers. */
    public static final int LARGE_SIZE = 65536 + 256;

    private final int smallSize;
    private final PacketBuf[] small;
    private int smallFree;
    private final PacketBuf[] large;
    private int largeFree;
    private long exhausted;

    /**
     * @param smallCount number of small buffers
     * @param smallSize size of each small buffer (must hold headroom + MTU + link headers)
     * @param largeCount number of large buffers
     */
    public PacketPool(int smallCount, int smallSize, int largeCount) {
        this.smallSize = smallSize;
        this.small = carve(smallCount, smallSize);
        this.smallFree = smallCount;
        this.large = carve(largeCount, LARGE_SIZE);
        this.largeFree = largeCount;
    }

    /** A pool sized for an MTU: 4096 small buffers and 64 large ones. */
    public static PacketPool forMtu(int mtu) {
        int size = DEFAULT_HEADROOM + mtu + 64;
        size = (size + 63) & ~63;
        return new PacketPool(4096, size, 64);
    }

    private PacketBuf[] carve(int count, int size) {
        PacketBuf[] arr = new PacketBuf[count];
        if (count == 0) {
            return arr;
        }
        // One slab per 16 MiB so that very large pools do not need one huge allocation.
        int perSlab = Math.max(1, (16 << 20) / size);
        ByteBuffer slab = null;
        for (int i = 0; i < count; i++) {
            int k = i % perSlab;
            if (k == 0) {
                slab = ByteBuffer.allocateDirect(Math.min(perSlab, count - i) * size);
            }
            ByteBuffer s = slab.slice(k * size, size);
            PacketBuf b = new PacketBuf(s, this);
            b.setFree(true);
            arr[i] = b;
        }
        return arr;
    }

    public int smallSize() {
        return smallSize;
    }

    /**
     * A buffer with room for {@code size} bytes after {@link #DEFAULT_HEADROOM} bytes of
     * headroom, or {@code null} when none is free.
     */
    public PacketBuf allocate(int size) {
        PacketBuf b;
        if (size + DEFAULT_HEADROOM <= smallSize && smallFree > 0) {
            b = small[--smallFree];
            small[smallFree] = null;
        } else if (size + DEFAULT_HEADROOM <= LARGE_SIZE && largeFree > 0) {
            b = large[--largeFree];
            large[largeFree] = null;
        } else {
            exhausted++;
            return null;
        }
        b.setFree(false);
        return b.reset(DEFAULT_HEADROOM);
    }

    void release(PacketBuf b) {
        if (b.isFree()) {
            throw new IllegalStateException("double release of a PacketBuf");
        }
        b.setFree(true);
        b.next = null;
        if (b.capacity() == smallSize && smallFree < small.length) {
            small[smallFree++] = b;
        } else {
            large[largeFree++] = b;
        }
    }

    public int availableSmall() {
        return smallFree;
    }

    public int availableLarge() {
        return largeFree;
    }

    public int totalSmall() {
        return small.length;
    }

    public int totalLarge() {
        return large.length;
    }

    /** How many allocations failed because the pool was empty. */
    public long exhaustedCount() {
        return exhausted;
    }
}
