package io.tapstack.blocking;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.link.Link;
import io.tapstack.link.PairLink;

/** PairLink is single-threaded; this serialises both ends on one lock (test only). */
public final class LockedPairLink implements Link {
    final PairLink l;
    final Object lock;

    public LockedPairLink(PairLink l, Object lock) {
        this.l = l;
        this.lock = lock;
    }

    public String name() {
        return l.name();
    }

    public int mtu() {
        return l.mtu();
    }

    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        synchronized (lock) {
            return l.receive(pool, out, max);
        }
    }

    public boolean transmit(PacketBuf f) {
        synchronized (lock) {
            return l.transmit(f);
        }
    }

    public void await(long t) {
        Thread.onSpinWait();
    }

    public void wakeup() {
    }

    public void close() {
    }
}
