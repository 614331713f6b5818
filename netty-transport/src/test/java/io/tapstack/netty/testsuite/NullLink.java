package io.tapstack.netty.testsuite;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.Link;

import java.util.concurrent.locks.LockSupport;

/**
 * A link to nowhere: what is sent is dropped, nothing arrives. A host on it still talks to
 * itself (local delivery), which is all that Netty's testsuite needs.
 */
final class NullLink implements Link {
    private volatile Thread waiter;

    @Override
    public String name() {
        return "null0";
    }

    @Override
    public int mtu() {
        return 1500;
    }

    @Override
    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        return 0;
    }

    @Override
    public boolean transmit(PacketBuf frame) {
        frame.release();
        return true;
    }

    @Override
    public void await(long timeoutNanos) {
        if (timeoutNanos <= 0) {
            return;
        }
        waiter = Thread.currentThread();
        LockSupport.parkNanos(timeoutNanos);
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
