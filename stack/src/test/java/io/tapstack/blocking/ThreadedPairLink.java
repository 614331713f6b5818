package io.tapstack.blocking;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.Link;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/** Two links joined by a thread-safe wire, for stacks on real event loops in tests. */
public final class ThreadedPairLink implements Link {
    private final ConcurrentLinkedQueue<byte[]> inbox = new ConcurrentLinkedQueue<>();
    private ThreadedPairLink peer;
    private volatile Thread waiter;

    public static ThreadedPairLink[] create() {
        ThreadedPairLink a = new ThreadedPairLink();
        ThreadedPairLink b = new ThreadedPairLink();
        a.peer = b;
        b.peer = a;
        return new ThreadedPairLink[] {a, b};
    }

    @Override
    public String name() {
        return "tpair";
    }

    @Override
    public int mtu() {
        return 1500;
    }

    @Override
    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        int n = 0;
        byte[] f;
        while (n < max && (f = inbox.peek()) != null) {
            PacketBuf p = pool.allocate(f.length);
            if (p == null) {
                break;
            }
            inbox.poll();
            p.appendBytes(f, 0, f.length);
            out[n++] = p;
        }
        return n;
    }

    @Override
    public boolean transmit(PacketBuf frame) {
        byte[] b = frame.toArray();
        frame.release();
        peer.inbox.add(b);
        peer.wakeup();
        return true;
    }

    @Override
    public void await(long timeoutNanos) {
        waiter = Thread.currentThread();
        if (inbox.isEmpty()) {
            LockSupport.parkNanos(Math.max(1, timeoutNanos));
        }
        waiter = null;
    }

    @Override
    public void wakeup() {
        Thread t = waiter;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public void close() {
    }
}
