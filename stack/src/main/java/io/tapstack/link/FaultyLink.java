package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;
import io.tapstack.buffer.PacketPool;
import io.tapstack.loop.Clock;
import io.tapstack.wire.Checksum;
import io.tapstack.wire.Ecn;
import io.tapstack.wire.EthernetFrame;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.Ipv6Header;
import io.tapstack.wire.MacAddress;

import java.nio.ByteBuffer;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Middleware that makes any link unreliable, in each direction independently: seeded loss,
 * duplication, reordering (by extra delay), corruption (one flipped bit), CE marks on
 * ECN-capable packets, fixed delay and a rate limit. Like smoltcp's {@code FaultInjector}. Deterministic for a seed and a clock.
 *
 * <p>Faults on receive model loss of what the peer sends; faults on transmit model loss of
 * what we send. Dropped frames are counted, so a test can prove that loss happened.
 */
public final class FaultyLink implements Link {
    /** Fault settings for one direction. Probabilities are in [0, 1]. */
    public static final class Faults {
        public double loss;
        public double duplicate;
        public double reorder;
        public double corrupt;
        public long delayNanos;
        /** Probability that an ECN-capable (ECT) IP packet is marked Congestion Experienced instead (RFC 3168 §5). */
        public double ce;
        public long reorderDelayNanos = 5_000_000L;
        /** Bytes per second, 0 = unlimited. */
        public long rateBytesPerSecond;

        public Faults loss(double p) {
            loss = p;
            return this;
        }

        public Faults duplicate(double p) {
            duplicate = p;
            return this;
        }

        public Faults reorder(double p) {
            reorder = p;
            return this;
        }

        public Faults corrupt(double p) {
            corrupt = p;
            return this;
        }

        public Faults ce(double p) {
            ce = p;
            return this;
        }

        public Faults delay(long nanos) {
            delayNanos = nanos;
            return this;
        }

        public Faults rate(long bytesPerSecond) {
            rateBytesPerSecond = bytesPerSecond;
            return this;
        }

        boolean any() {
            return loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delayNanos > 0 || rateBytesPerSecond > 0
                    || ce > 0;
        }
    }

    private record Held(long due, long order, byte[] frame) {
    }

    private final Link inner;
    private final Clock clock;
    private final SplittableRandom rnd;
    public final Faults rx = new Faults();
    public final Faults tx = new Faults();
    private final PriorityQueue<Held> rxHeld = new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.order, b.order));
    private final PriorityQueue<Held> txHeld = new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.order, b.order));
    private final PacketBuf[] scratch = new PacketBuf[64];
    private long order;
    private long rxNextFree;
    private long txNextFree;
    private long rxDropped;
    private long txDropped;
    private long duplicated;
    private long corrupted;
    private long reordered;
    private long ceMarked;
    private final long seed;

    public FaultyLink(Link inner, Clock clock, long seed) {
        this.inner = inner;
        this.clock = clock;
        this.seed = seed;
        this.rnd = new SplittableRandom(seed);
    }

    public long seed() {
        return seed;
    }

    public long rxDropped() {
        return rxDropped;
    }

    public long txDropped() {
        return txDropped;
    }

    public long duplicated() {
        return duplicated;
    }

    public long corrupted() {
        return corrupted;
    }

    public long reordered() {
        return reordered;
    }

    /** ECN-capable packets marked CE, both directions (an AQM router's marking, RFC 3168 §5). */
    public long ceMarked() {
        return ceMarked;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public int mtu() {
        return inner.mtu();
    }

    @Override
    public MacAddress hardwareAddress() {
        return inner.hardwareAddress();
    }

    @Override
    public Offloads offloads() {
        return inner.offloads();
    }

    @Override
    public boolean vnetHeader() {
        return inner.vnetHeader();
    }

    @Override
    public int receive(PacketPool pool, PacketBuf[] out, int max) {
        long now = clock.nanos();
        int n = 0;
        // frames whose delay has passed come first
        while (n < max && !rxHeld.isEmpty() && rxHeld.peek().due <= now) {
            byte[] f = rxHeld.peek().frame;
            PacketBuf p = pool.allocate(f.length);
            if (p == null) {
                return n;
            }
            rxHeld.poll();
            p.appendBytes(f, 0, f.length);
            out[n++] = p;
        }
        if (n == max) {
            return n;
        }
        if (!rx.any()) {
            if (n == 0) {
                return inner.receive(pool, out, max);
            }
            // receive into the tail of out
            int got = inner.receive(pool, scratch, Math.min(scratch.length, max - n));
            for (int i = 0; i < got; i++) {
                out[n++] = scratch[i];
                scratch[i] = null;
            }
            return n;
        }
        int got = inner.receive(pool, scratch, Math.min(scratch.length, max - n));
        for (int i = 0; i < got; i++) {
            PacketBuf p = scratch[i];
            scratch[i] = null;
            if (rnd.nextDouble() < rx.loss) {
                rxDropped++;
                p.release();
                continue;
            }
            if (rx.ce > 0) {
                maybeMarkCe(rx, p);
            }
            if (rx.corrupt > 0 && rnd.nextDouble() < rx.corrupt) {
                flipBit(p);
            }
            long due = dueTime(rx, now, p.length(), true);
            boolean dup = rx.duplicate > 0 && rnd.nextDouble() < rx.duplicate;
            if (due > now || dup) {
                byte[] copy = p.toArray();
                if (due > now) {
                    rxHeld.add(new Held(due, order++, copy));
                    p.release();
                } else {
                    out[n++] = p;
                }
                if (dup) {
                    duplicated++;
                    rxHeld.add(new Held(due, order++, copy));
                }
            } else {
                out[n++] = p;
            }
        }
        return n;
    }

    private long dueTime(Faults f, long now, int len, boolean isRx) {
        long due = now + f.delayNanos;
        if (f.reorder > 0 && rnd.nextDouble() < f.reorder) {
            reordered++;
            due += f.reorderDelayNanos;
        }
        if (f.rateBytesPerSecond > 0) {
            long nextFree = isRx ? rxNextFree : txNextFree;
            long start = Math.max(due, nextFree);
            long end = start + len * 1_000_000_000L / f.rateBytesPerSecond;
            if (isRx) {
                rxNextFree = end;
            } else {
                txNextFree = end;
            }
            due = end;
        }
        return due;
    }

    /**
     * RFC 3168 §5: a router that would drop an ECT packet may set CE instead. IPv4 (header
     * checksum recomputed) or IPv6 (traffic class) behind the Ethernet header and the virtio-net
     * header when the link has one; other frames and Not-ECT packets are left alone.
     */
    private void maybeMarkCe(Faults f, PacketBuf p) {
        ByteBuffer b = p.buf();
        int eth = p.start() + (inner.vnetHeader() ? VnetHeader.LENGTH : 0);
        int ip = eth + EthernetFrame.HEADER_LEN;
        if (p.end() < ip + Ipv6Header.LENGTH) {
            return;
        }
        int type = b.getShort(eth + EthernetFrame.TYPE) & 0xffff;
        if (type == EthernetFrame.TYPE_IPV4 && (b.get(ip) & 0xf0) == 0x40) {
            int ihl = (b.get(ip) & 0x0f) * 4;
            int tos = b.get(ip + 1) & 0xff;
            if (ihl < Ipv4Header.MIN_LENGTH || p.end() < ip + ihl || !Ecn.isEct(tos) || rnd.nextDouble() >= f.ce) {
                return;
            }
            b.put(ip + 1, (byte) (tos | Ecn.CE));
            b.putShort(ip + Ipv4Header.CHECKSUM, (short) 0);
            b.putShort(ip + Ipv4Header.CHECKSUM, (short) Checksum.compute(b, ip, ihl));
            ceMarked++;
        } else if (type == EthernetFrame.TYPE_IPV6 && (b.get(ip) & 0xf0) == 0x60) {
            int w = b.getInt(ip);
            if (!Ecn.isEct(w >>> 20) || rnd.nextDouble() >= f.ce) {
                return;
            }
            b.putInt(ip, w | (Ecn.CE << 20));
            ceMarked++;
        }
    }

    private void flipBit(PacketBuf p) {
        if (p.length() == 0) {
            return;
        }
        corrupted++;
        int i = p.start() + rnd.nextInt(p.length());
        p.buf().put(i, (byte) (p.buf().get(i) ^ (1 << rnd.nextInt(8))));
    }

    @Override
    public boolean transmit(PacketBuf frame) {
        long now = clock.nanos();
        drainTx(now);
        if (!tx.any()) {
            return inner.transmit(frame);
        }
        if (rnd.nextDouble() < tx.loss) {
            txDropped++;
            frame.release();
            return true;
        }
        if (tx.ce > 0) {
            maybeMarkCe(tx, frame);
        }
        if (tx.corrupt > 0 && rnd.nextDouble() < tx.corrupt) {
            flipBit(frame);
        }
        long due = dueTime(tx, now, frame.length(), false);
        boolean dup = tx.duplicate > 0 && rnd.nextDouble() < tx.duplicate;
        if (dup) {
            duplicated++;
            txHeld.add(new Held(due, order++, frame.toArray()));
        }
        if (due > now || !txHeld.isEmpty()) {
            txHeld.add(new Held(due, order++, frame.toArray()));
            frame.release();
            drainTx(now);
            return true;
        }
        return inner.transmit(frame);
    }

    private PacketPool txPool;

    @Override
    public void attach(PacketPool pool) {
        this.txPool = pool;
        inner.attach(pool);
    }

    private void drainTx(long now) {
        while (!txHeld.isEmpty() && txHeld.peek().due <= now) {
            byte[] f = txHeld.peek().frame;
            if (txPool == null) {
                throw new IllegalStateException("FaultyLink used before attach(pool)");
            }
            PacketBuf p = txPool.allocate(f.length);
            if (p == null) {
                return;
            }
            txHeld.poll();
            p.appendBytes(f, 0, f.length);
            inner.transmit(p);
        }
    }

    @Override
    public void flush() {
        drainTx(clock.nanos());
        inner.flush();
    }

    @Override
    public long nextDeadline() {
        long d = inner.nextDeadline();
        if (!rxHeld.isEmpty()) {
            d = Math.min(d, rxHeld.peek().due);
        }
        if (!txHeld.isEmpty()) {
            d = Math.min(d, txHeld.peek().due);
        }
        return d;
    }

    @Override
    public void await(long timeoutNanos) {
        inner.await(timeoutNanos);
    }

    @Override
    public void wakeup() {
        inner.wakeup();
    }

    @Override
    public void close() {
        inner.close();
    }
}
