package io.tapstack.buffer;

/** A FIFO of {@link PacketBuf}s linked through {@link PacketBuf#next}, with a bound. */
public final class PacketQueue {
    private PacketBuf head;
    private PacketBuf tail;
    private int size;
    private final int limit;

    public PacketQueue(int limit) {
        this.limit = limit;
    }

    /** Appends the packet; returns false (and keeps nothing) when the queue is full. */
    public boolean offer(PacketBuf p) {
        if (size >= limit) {
            return false;
        }
        p.next = null;
        if (tail == null) {
            head = tail = p;
        } else {
            tail.next = p;
            tail = p;
        }
        size++;
        return true;
    }

    public PacketBuf poll() {
        PacketBuf p = head;
        if (p != null) {
            head = p.next;
            if (head == null) {
                tail = null;
            }
            p.next = null;
            size--;
        }
        return p;
    }

    public PacketBuf peek() {
        return head;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public int limit() {
        return limit;
    }

    /** Releases every queued packet; returns how many. */
    public int clear() {
        int n = 0;
        PacketBuf p;
        while ((p = poll()) != null) {
            p.release();
            n++;
        }
        return n;
    }
}
