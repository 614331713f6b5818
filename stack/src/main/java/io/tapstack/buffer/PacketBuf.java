package io.tapstack.buffer;

import java.nio.ByteBuffer;

/**
 * One packet: a window {@code [start, end)} of a pooled direct buffer, with headroom in
 * front for headers pushed on output (like a BSD mbuf or a Linux skb).
 *
 * <pre>
 *   0          start                 end          capacity
 *   | headroom | packet bytes ......  | tailroom   |
 * </pre>
 *
 * <p>Input consumes headers with {@link #pull(int)}; output prepends them with
 * {@link #push(int)}. Offsets {@link #l2}, {@link #l3}, {@link #l4} are absolute positions in
 * {@link #buf()}. All accesses use absolute {@link ByteBuffer} get/put (big-endian).
 *
 * <p>A buffer belongs to the pool (and so the event loop) that allocated it;
 * {@link #release()} returns it there. {@link #next} links buffers into intrusive queues.
 */
public final class PacketBuf {
    /** Checksum state carried from/to the virtio-net header. */
    public static final int CSUM_NONE = 0;
    /** The partial checksum at {@link #csumStart}+{@link #csumOffset} still has to be finished. */
    public static final int CSUM_PARTIAL = 1;
    /** The device validated the checksum (virtio DATA_VALID). */
    public static final int CSUM_VALID = 2;

    private final ByteBuffer buf;
    private final PacketPool pool;
    private int start;
    private int end;
    private boolean free;

    public int l2 = -1;
    public int l3 = -1;
    public int l4 = -1;
    /** One of CSUM_*. */
    public int csumState;
    public int csumStart;
    public int csumOffset;
    /** GSO type (virtio values: 0 none, 1 TCPv4, 4 TCPv6, 3 UDP, 5 UDP_L4) and segment size. */
    public int gsoType;
    public int gsoSize;
    /** Intrusive queue link. */
    public PacketBuf next;
    /** Free-form tag for the owner (e.g. a deadline while queued). */
    public long tag;
    /**
     * Native address of {@link #buf()}'s first byte, cached by a native driver (0 = not yet
     * known). The stack itself never uses it; it saves the driver a lookup per packet.
     */
    public long nativeAddress;

    PacketBuf(ByteBuffer buf, PacketPool pool) {
        this.buf = buf;
        this.pool = pool;
    }

    /** Resets the window to an empty packet starting after {@code headroom} bytes. */
    public PacketBuf reset(int headroom) {
        start = headroom;
        end = headroom;
        l2 = l3 = l4 = -1;
        csumState = CSUM_NONE;
        csumStart = csumOffset = 0;
        gsoType = gsoSize = 0;
        next = null;
        tag = 0;
        return this;
    }

    public ByteBuffer buf() {
        return buf;
    }

    public int capacity() {
        return buf.capacity();
    }

    public int start() {
        return start;
    }

    public int end() {
        return end;
    }

    public int length() {
        return end - start;
    }

    public int headroom() {
        return start;
    }

    public int tailroom() {
        return buf.capacity() - end;
    }

    /** Sets the window absolutely. */
    public void setWindow(int start, int end) {
        if (start < 0 || end < start || end > buf.capacity()) {
            throw new IndexOutOfBoundsException("window " + start + ".." + end + " of " + buf.capacity());
        }
        this.start = start;
        this.end = end;
    }

    /** Prepends {@code n} bytes and returns the new start offset. */
    public int push(int n) {
        checkSize(n);
        if (n > start) {
            throw new IllegalStateException("headroom " + start + " < " + n);
        }
        start -= n;
        return start;
    }

    /** Consumes {@code n} bytes from the front and returns the new start offset. */
    public int pull(int n) {
        checkSize(n);
        if (n > end - start) {
            throw new IllegalStateException("pull " + n + " > length " + (end - start));
        }
        start += n;
        return start;
    }

    /** Extends the packet by {@code n} bytes at the end; returns the offset of the first new byte. */
    public int append(int n) {
        checkSize(n);
        if (n > buf.capacity() - end) {
            throw new IllegalStateException("tailroom " + (buf.capacity() - end) + " < " + n);
        }
        int at = end;
        end += n;
        return at;
    }

    /** Cuts the packet to {@code len} bytes from start (no-op if already shorter). */
    public void trim(int len) {
        checkSize(len);
        if (len < end - start) {
            end = start + len;
        }
    }

    /** A negative size would move the window the wrong way (or make its length negative): a caller's bug. */
    private static void checkSize(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative size " + n);
        }
    }

    /** Copies {@code len} bytes from a heap array to the end of the packet. */
    public void appendBytes(byte[] src, int off, int len) {
        int at = append(len);
        buf.put(at, src, off, len);
    }

    /** Copies the packet bytes into a new array (for tests and slow paths only). */
    public byte[] toArray() {
        byte[] b = new byte[end - start];
        buf.get(start, b, 0, b.length);
        return b;
    }

    public PacketPool pool() {
        return pool;
    }

    boolean isFree() {
        return free;
    }

    void setFree(boolean f) {
        free = f;
    }

    /** Returns the buffer to its pool. Releasing twice throws: a double free is a bug. */
    public void release() {
        pool.release(this);
    }
}
