package io.tapstack.tcp;

import java.nio.ByteBuffer;

/**
 * A bounded byte ring for socket send and receive buffers: a heap array from the loop's
 * {@link RingPool}, replaced by a larger one as the connection's data grows ({@link #moveTo}). Positions are relative to the read position (0 = oldest byte). The receive side
 * may also write <em>past</em> the readable end (out-of-order data waiting for a hole to fill)
 * and later {@link #commit} it; the send side reads at any offset for (re)transmission.
 */
final class ByteRing {
    private byte[] a;
    private int head;
    private int size;

    ByteRing(int capacity) {
        a = new byte[Math.max(1, capacity)];
    }

    /**
     * Moves everything into {@code b} (larger, empty): the readable bytes and whatever waits
     * beyond them (out-of-order data), in order from the read position. This ring is left empty.
     */
    void moveTo(ByteRing b) {
        byte[] d = b.a;
        int first = a.length - head;
        System.arraycopy(a, head, d, 0, first);
        System.arraycopy(a, 0, d, first, head);
        b.head = 0;
        b.size = size;
        clear();
    }

    int capacity() {
        return a.length;
    }

    /** Readable (committed) bytes. */
    int size() {
        return size;
    }

    int free() {
        return a.length - size;
    }

    /** Appends up to {@code src.remaining()} bytes; returns how many were taken. */
    int append(ByteBuffer src) {
        int n = Math.min(src.remaining(), free());
        int tail = (head + size) % a.length;
        int first = Math.min(n, a.length - tail);
        src.get(a, tail, first);
        if (n > first) {
            src.get(a, 0, n - first);
        }
        size += n;
        return n;
    }

    /** Appends {@code len} bytes from a heap array; returns how many were taken. */
    int append(byte[] src, int off, int len) {
        int n = Math.min(len, free());
        int tail = (head + size) % a.length;
        int first = Math.min(n, a.length - tail);
        System.arraycopy(src, off, a, tail, first);
        if (n > first) {
            System.arraycopy(src, off + first, a, 0, n - first);
        }
        size += n;
        return n;
    }

    /**
     * Writes {@code len} bytes from {@code src} (absolute position {@code pos}) at
     * {@code offset} bytes after the readable end, without committing them. The caller keeps
     * {@code offset + len <= free()}.
     */
    void writeAt(int offset, ByteBuffer src, int pos, int len) {
        int at = (int) (((long) head + size + offset) % a.length);
        int first = Math.min(len, a.length - at);
        src.get(pos, a, at, first);
        if (len > first) {
            src.get(pos + first, a, 0, len - first);
        }
    }

    /** Makes {@code n} bytes written by {@link #writeAt} at offset 0 readable. */
    void commit(int n) {
        size += n;
    }

    /** Copies {@code len} bytes at {@code offset} (from the read position) into {@code dst} at absolute {@code pos}. */
    void peek(int offset, ByteBuffer dst, int pos, int len) {
        int at = (int) (((long) head + offset) % a.length);
        int first = Math.min(len, a.length - at);
        dst.put(pos, a, at, first);
        if (len > first) {
            dst.put(pos + first, a, 0, len - first);
        }
    }

    /** Moves up to {@code dst.remaining()} readable bytes into {@code dst}; returns the count. */
    int read(ByteBuffer dst) {
        int n = Math.min(dst.remaining(), size);
        int first = Math.min(n, a.length - head);
        dst.put(a, head, first);
        if (n > first) {
            dst.put(a, 0, n - first);
        }
        skip(n);
        return n;
    }

    /** Moves up to {@code len} readable bytes into a heap array. */
    int read(byte[] dst, int off, int len) {
        int n = Math.min(len, size);
        int first = Math.min(n, a.length - head);
        System.arraycopy(a, head, dst, off, first);
        if (n > first) {
            System.arraycopy(a, 0, dst, off + first, n - first);
        }
        skip(n);
        return n;
    }

    /** Discards {@code n} readable bytes. */
    void skip(int n) {
        head = (head + n) % a.length;
        size -= n;
        // head is not reset when empty: out-of-order bytes may wait beyond the readable end
    }

    void clear() {
        head = 0;
        size = 0;
    }
}
