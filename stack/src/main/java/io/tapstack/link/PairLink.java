package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;

import java.util.ArrayDeque;

/**
 * Two links joined by an in-memory wire, for tests: what one end transmits the other
 * receives, in order, with no loss. Frames are copied across, so each stack keeps its own pool.
 * Single-threaded: both stacks are stepped by the same test thread.
 */
public final class PairLink implements Link {
    private final String name;
    private final int mtu;
    private final ArrayDeque<byte[]> inbox = new ArrayDeque<>();
    private PairLink peer;
    private long transmitted;

    private PairLink(String name, int mtu) {
        this.name = name;
        this.mtu = mtu;
    }

    /** Creates the two ends of a wire. */
    public static PairLink[] create(int mtu) {
        PairLink a = new PairLink("pair0", mtu);
        PairLink b = new PairLink("pair1", mtu);
        a.peer = b;
        b.peer = a;
        return new PairLink[] {a, b};
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        int n = 0;
        while (n < max && !inbox.isEmpty()) {
            byte[] f = inbox.peek();
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
        transmitted++;
        peer.inbox.add(b);
        return true;
    }

    /** Injects a raw frame as if it arrived from the wire (for malformed-input tests). */
    public void inject(byte[] frame) {
        inbox.add(frame.clone());
    }

    /** Frames waiting to be received by this end. */
    public int pending() {
        return inbox.size();
    }

    public long transmitted() {
        return transmitted;
    }

    @Override
    public void await(long timeoutNanos) {
    }

    @Override
    public void wakeup() {
    }

    @Override
    public void close() {
    }
}
