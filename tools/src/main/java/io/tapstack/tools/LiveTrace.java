package io.tapstack.tools;

import io.tapstack.tcp.TcpTrace;
import io.tapstack.tcp.TcpTraceFile;
import io.tapstack.tcp.TcpTraceSink;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A live per-connection trace ({@code tapstack trace --host}): the {@link TcpTraceSink} a host's
 * stacks write into while a control-socket client reads, and the framing on that socket.
 *
 * <p>The sink runs on a loop thread, once per full ring of {@link TcpTrace#CAPACITY} records or per
 * flush (never per packet): it copies the records into one block of the {@link TcpTraceFile}
 * format and hands it to a lock-free queue bounded in bytes ({@link #MAX_QUEUED_BYTES}). It never
 * blocks: when the reader is slow and the queue is full, the block is dropped and its records
 * counted ({@link #dropped()}). With a record limit, exactly that many records are kept.
 *
 * <p>Frames on the socket: {@code type:byte length:int32 payload}; {@link #DATA} carries bytes of
 * the trace file (the header first, then whole blocks), {@link #END} the last frame, a text line
 * "records N dropped M". Before the first frame the host may answer {@code error: ...} instead.
 */
final class LiveTrace {
    static final byte DATA = 'D';
    static final byte END = 'E';
    /** Blocks queued for the reader at most (bytes); ~18 full rings. */
    static final long MAX_QUEUED_BYTES = 8L << 20;

    private final long limit;
    private final long maxQueued;
    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private long written;

    /** {@code limit}: records to keep at most (0: no limit). */
    LiveTrace(long limit) {
        this(limit, MAX_QUEUED_BYTES);
    }

    LiveTrace(long limit, long maxQueuedBytes) {
        this.limit = limit;
        this.maxQueued = maxQueuedBytes;
    }

    /** The sink of a host's queue {@code stream} (loop thread; never blocks). */
    TcpTraceSink sink(int stream) {
        return (trace, records, count) -> offer(stream, trace, records, count);
    }

    private void offer(int stream, TcpTrace trace, long[] records, int count) {
        int n = count;
        if (limit > 0) {
            long before = taken.getAndAdd(count);
            n = (int) Math.max(0, Math.min(count, limit - before));
            if (n == 0) {
                return; // past the limit: the session is ending, these are not wanted
            }
        }
        int bytes = TcpTraceFile.blockBytes(trace, n);
        if (queuedBytes.get() + bytes > maxQueued) {
            dropped.addAndGet(n);
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(bytes); // one per block (a ring of records), not per packet
        TcpTraceFile.putBlock(b, stream, trace, records, n);
        queuedBytes.addAndGet(bytes);
        queue.add(b.array());
    }

    /** True once the record limit is reached (never without a limit). */
    boolean limitReached() {
        return limit > 0 && taken.get() >= limit;
    }

    /** Records dropped because the reader was slow. */
    long dropped() {
        return dropped.get();
    }

    /** Records written to the reader so far. */
    long written() {
        return written;
    }

    /** Writes the trace file header as the first frame (writer thread). */
    void start(OutputStream out) throws IOException {
        frame(out, DATA, TcpTraceFile.header());
    }

    /** Writes every queued block (writer thread); blocks while the socket is full, the loop never does. */
    void drainTo(OutputStream out) throws IOException {
        byte[] b;
        while ((b = queue.poll()) != null) {
            queuedBytes.addAndGet(-b.length);
            frame(out, DATA, b);
            ByteBuffer w = ByteBuffer.wrap(b); // stream:int32 id:int64 endpointsLength:int16 endpoints count:int32
            written += w.getInt(14 + (w.getShort(12) & 0xffff));
        }
        out.flush();
    }

    /** The last frame: what was written and dropped. */
    void end(OutputStream out) throws IOException {
        frame(out, END, ("records " + written + " dropped " + dropped.get()).getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void frame(OutputStream out, byte type, byte[] payload) throws IOException {
        out.write(ByteBuffer.allocate(5).put(type).putInt(payload.length).array());
        out.write(payload);
    }

    /**
     * The client's side: copies the trace bytes of the frames in {@code in} to {@code file} and
     * returns the END line ("records N dropped M"), or null if the host hung up without one.
     * An answer that starts with "error: " (the host refused) is thrown as a {@link UserError}.
     */
    static String receive(InputStream in, OutputStream file) throws IOException {
        DataInputStream d = new DataInputStream(in);
        boolean first = true;
        while (true) {
            int type;
            try {
                type = d.readUnsignedByte();
            } catch (EOFException e) {
                return null;
            }
            if (first && type == 'e') {
                String rest = new String(d.readAllBytes(), StandardCharsets.UTF_8);
                throw new UserError(("e" + rest).replaceFirst("^error: ", "").strip());
            }
            first = false;
            int len = d.readInt();
            if (len < 0 || len > (64 << 20)) {
                throw new IOException("corrupt trace stream: frame of " + len + " bytes");
            }
            byte[] payload = new byte[len];
            d.readFully(payload);
            if (type == END) {
                file.flush();
                return new String(payload, StandardCharsets.UTF_8);
            }
            if (type != DATA) {
                throw new IOException("corrupt trace stream: frame type " + type);
            }
            file.write(payload);
            file.flush();
        }
    }
}
