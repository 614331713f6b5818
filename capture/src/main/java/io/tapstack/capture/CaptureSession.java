package io.tapstack.capture;

import io.tapstack.link.FrameTap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * One capture: a BPF filter, a snapshot length and a sink, joined by a bounded queue that a
 * dedicated writer thread drains. {@link #offer} is what the stack calls on the event loop (through
 * the frame-tap SPI, {@link #frame}, or through a {@link CaptureTap}): it runs the filter, copies the snapped frame into a preallocated queue slot and returns.
 * It never blocks: when the queue is full the frame is dropped and counted, as libpcap counts
 * {@code ps_drop} when the kernel ring overflows. A slow sink (a pipe to Wireshark, a disk)
 * therefore costs drops, never loop latency.
 *
 * <p>The queue is a bounded multi-producer/single-consumer array queue (Vyukov's design:
 * a sequence number per slot), so one session may be attached to the taps of several loops.
 * Slot buffers grow to the largest frame they have held and are then reused: after warm-up
 * nothing is allocated per packet.
 */
public final class CaptureSession implements AutoCloseable, FrameTap {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final BpfFilter filter;
    private final int snaplen;
    private final PacketSink sink;
    private final int mask;
    private final AtomicLongArray seq;
    private final byte[][] data;
    private final int[] caplen;
    private final int[] wirelen;
    private final long[] ts;
    private final Direction[] dir;
    private final AtomicLong tail = new AtomicLong();
    private long head; // consumer only

    private final AtomicLong seen = new AtomicLong(), filtered = new AtomicLong(), received = new AtomicLong(),
            dropped = new AtomicLong(), written = new AtomicLong();

    private final Thread writer;
    private volatile boolean parked;
    private volatile boolean stopping;
    private volatile boolean closed;
    private volatile IOException failure;
    private volatile long limit; // frames to write at most; 0 = no limit

    /**
     * Starts a session and its writer thread.
     *
     * @param filter        the filter, or null to accept every frame
     * @param snaplen       bytes kept per frame (also capped by the filter's return value, as in libpcap)
     * @param sink          where frames go; used only by the writer thread
     * @param queueCapacity frames the queue holds (rounded up to a power of two)
     */
    public static CaptureSession start(BpfProgram filter, int snaplen, PacketSink sink, int queueCapacity) {
        return new CaptureSession(filter == null ? null : filter.filter(), snaplen, sink, queueCapacity);
    }

    /** Starts a session with a filter-expression (compiled by {@link FilterCompiler}); "" captures everything. */
    public static CaptureSession start(String expression, int snaplen, PacketSink sink, int queueCapacity) {
        BpfProgram p = expression == null || expression.isBlank() ? null : FilterCompiler.compile(expression, snaplen, 0, true);
        return start(p, snaplen, sink, queueCapacity);
    }

    private CaptureSession(BpfFilter filter, int snaplen, PacketSink sink, int queueCapacity) {
        if (snaplen <= 0) throw new IllegalArgumentException("snaplen must be positive");
        if (queueCapacity <= 0 || queueCapacity > (1 << 20)) throw new IllegalArgumentException("queue capacity out of range");
        this.filter = filter;
        this.snaplen = snaplen;
        this.sink = Objects.requireNonNull(sink);
        int cap = Integer.highestOneBit(queueCapacity);
        if (cap < queueCapacity) cap <<= 1;
        mask = cap - 1;
        seq = new AtomicLongArray(cap);
        for (int i = 0; i < cap; i++) seq.set(i, i);
        data = new byte[cap][];
        caplen = new int[cap];
        wirelen = new int[cap];
        ts = new long[cap];
        dir = new Direction[cap];
        writer = new Thread(this::drainLoop, "tapstack-capture-" + IDS.incrementAndGet());
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * The stack's frame-tap SPI ({@code NetStack.addFrameTap(session)}): {@link #offer} with
     * {@link Direction#OUTBOUND} for frames the stack sends, {@link Direction#INBOUND} for frames
     * it receives. Never blocks, allocates nothing after warm-up.
     */
    @Override
    public void frame(ByteBuffer buf, int off, int len, long wallNanos, boolean outbound) {
        offer(buf, off, len, wallNanos, outbound ? Direction.OUTBOUND : Direction.INBOUND);
    }

    /**
     * The Linux packet type of a frame (linux/if_packet.h), which {@code inbound}/{@code outbound}
     * read as ancillary data: PACKET_OUTGOING for frames the stack sends; for received frames
     * PACKET_BROADCAST or PACKET_MULTICAST from the destination address (IEEE 802.3 §3.2.3: the
     * group bit), else PACKET_HOST (a TAP hands the stack only frames for it). Unknown direction:
     * none, so those programs reject, as libpcap does on a file.
     */
    static int packetType(ByteBuffer frame, int offset, int length, Direction direction) {
        if (direction == Direction.OUTBOUND) return Bpf.PACKET_OUTGOING;
        if (direction != Direction.INBOUND) return Bpf.NO_PKTTYPE;
        if (length < 6) return Bpf.PACKET_HOST;
        if ((frame.get(offset) & 1) == 0) return Bpf.PACKET_HOST;
        for (int i = 0; i < 6; i++) if (frame.get(offset + i) != (byte) 0xff) return Bpf.PACKET_MULTICAST;
        return Bpf.PACKET_BROADCAST;
    }

    /**
     * Offers a frame (called by {@link CaptureTap} or {@link #frame} on an event-loop thread). Never blocks.
     * Frames offered after {@link #close()} are ignored.
     */
    public void offer(ByteBuffer frame, int offset, int length, long timestampNanos, Direction direction) {
        if (closed || stopping) return;
        seen.getAndIncrement();
        int n = length;
        if (filter != null) {
            int r;
            try {
                r = filter.filter(frame, offset, length, length, packetType(frame, offset, length, direction));
            } catch (IndexOutOfBoundsException e) {
                r = 0; // caller passed a bad range: treat as not matching rather than throw into the loop
            }
            if (r == 0) {
                filtered.getAndIncrement();
                return;
            }
            if (Integer.compareUnsigned(r, n) < 0) n = r; // libpcap: the filter's result caps the snapshot
        }
        received.getAndIncrement();
        if (n > snaplen) n = snaplen;
        // claim a slot (Vyukov bounded queue)
        long pos = tail.get();
        int idx;
        while (true) {
            idx = (int) pos & mask;
            long d = seq.get(idx) - pos;
            if (d == 0) {
                if (tail.compareAndSet(pos, pos + 1)) break;
                pos = tail.get();
            } else if (d < 0) {
                dropped.getAndIncrement(); // queue full: ps_drop
                return;
            } else {
                pos = tail.get();
            }
        }
        byte[] buf = data[idx];
        if (buf == null || buf.length < n) {
            buf = new byte[Math.max(n, 2048)]; // grows during warm-up only
            data[idx] = buf;
        }
        frame.get(offset, buf, 0, n);
        caplen[idx] = n;
        wirelen[idx] = length;
        ts[idx] = timestampNanos;
        dir[idx] = direction;
        seq.set(idx, pos + 1); // publish
        if (parked) LockSupport.unpark(writer);
    }

    private void drainLoop() {
        try {
            while (true) {
                boolean any = false;
                while (true) {
                    int idx = (int) head & mask;
                    if (seq.get(idx) != head + 1) break;
                    if (failure == null && (limit == 0 || written.get() < limit)) {
                        try {
                            sink.write(ts[idx], data[idx], 0, caplen[idx], wirelen[idx], dir[idx]);
                            written.getAndIncrement();
                        } catch (IOException e) {
                            failure = e; // the reader went away (e.g. closed pipe): stop writing
                        }
                    }
                    seq.set(idx, head + mask + 1);
                    head++;
                    any = true;
                }
                if (any && failure == null) {
                    try {
                        sink.flush();
                    } catch (IOException e) {
                        failure = e;
                    }
                }
                if (stopping && seq.get((int) head & mask) != head + 1) return;
                parked = true;
                if (seq.get((int) head & mask) != head + 1 && !stopping) LockSupport.parkNanos(this, 50_000_000L);
                parked = false;
            }
        } catch (RuntimeException e) {
            failure = new IOException("capture sink failed", e);
        }
    }

    /** Counters so far. */
    public CaptureStats stats() {
        return new CaptureStats(seen.get(), filtered.get(), received.get(), dropped.get(), written.get());
    }

    /** The sink's write error, if one stopped the writing. */
    public IOException failure() { return failure; }

    /**
     * Writes at most {@code maxFrames} frames (0: no limit), as tcpdump's {@code -c}: frames
     * accepted after that are not written. Set it before the session is added to a tap.
     */
    public CaptureSession limit(long maxFrames) {
        if (maxFrames < 0) throw new IllegalArgumentException("negative limit");
        this.limit = maxFrames;
        return this;
    }

    public int snaplen() { return snaplen; }

    public boolean isClosed() { return closed; }

    /**
     * Stops accepting frames, lets the writer drain what is queued, and closes the sink.
     * Detach the session from its taps first ({@link CaptureTap#remove}).
     */
    @Override
    public void close() throws IOException {
        if (closed) return;
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        try {
            sink.close();
        } finally {
            if (failure != null) throw failure;
        }
    }
}
