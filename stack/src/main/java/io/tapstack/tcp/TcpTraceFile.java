package io.tapstack.tcp;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A file of {@link TcpTrace} records, and its reader ({@code tapstack trace} prints and plots it).
 *
 * <pre>
 * file   = "TAPTRACE" version:int32 block*
 * block  = stream:int32 id:int64 endpointsLength:int16 endpoints:UTF-8 count:int32 record{count}
 * record = {@link TcpTrace#WORDS} × int64 (big-endian; layout in TcpTrace)
 * </pre>
 * One file may take the traces of several stacks (a host's queues): each writes through its own
 * {@link #sink(int) sink}, and (stream, id) names a connection. Writes are serialized; a sink call
 * writes one block from a buffer allocated once.
 */
public final class TcpTraceFile implements Closeable {
    static final byte[] MAGIC = "TAPTRACE".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    private static final int MAX_RECORDS_PER_BLOCK = 1 << 20;

    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(TcpTrace.CAPACITY * TcpTrace.WORDS * 8 + 1024);
    private long records;
    /** The first write error; from then on records are counted as lost, never thrown at the loop. */
    private IOException failure;
    private long lost;

    private TcpTraceFile(FileChannel ch) {
        this.ch = ch;
    }

    /** Creates (or truncates) {@code path} and writes the file header. */
    public static TcpTraceFile create(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        TcpTraceFile f = new TcpTraceFile(ch);
        f.buf.clear();
        f.buf.put(MAGIC).putInt(VERSION).flip();
        f.drain();
        return f;
    }

    /** The sink of one stack (a host's queue {@code stream}). */
    public TcpTraceSink sink(int stream) {
        return (trace, recs, count) -> write(stream, trace, recs, count);
    }

    /** Records written so far. */
    public synchronized long records() {
        return records;
    }

    /** Records not written because writing failed (a full disk, say), and the first error, or null. */
    public synchronized long lostRecords() {
        return lost;
    }

    public synchronized IOException failure() {
        return failure;
    }

    private synchronized void write(int stream, TcpTrace trace, long[] recs, int count) {
        if (failure != null) {
            lost += count;
            return;
        }
        buf.clear();
        putBlock(buf, stream, trace, recs, count);
        buf.flip();
        try {
            drain();
        } catch (IOException e) {
            failure = e; // the sink runs on an event loop: tracing must not stop the host
            lost += count;
            return;
        }
        records += count;
    }

    /** The file header ("TAPTRACE", version): what a stream of blocks starts with. */
    public static byte[] header() {
        return ByteBuffer.allocate(MAGIC.length + 4).put(MAGIC).putInt(VERSION).array();
    }

    /** Bytes {@link #putBlock} writes for {@code count} records of {@code trace}. */
    public static int blockBytes(TcpTrace trace, int count) {
        return 4 + 8 + 2 + trace.endpoints().getBytes(StandardCharsets.UTF_8).length + 4 + count * TcpTrace.WORDS * 8;
    }

    /** One block of the file format (see the class comment): the first {@code count} records of {@code recs}. */
    public static void putBlock(ByteBuffer buf, int stream, TcpTrace trace, long[] recs, int count) {
        byte[] ep = trace.endpoints().getBytes(StandardCharsets.UTF_8);
        buf.putInt(stream).putLong(trace.id()).putShort((short) ep.length).put(ep).putInt(count);
        for (int i = 0; i < count * TcpTrace.WORDS; i++) {
            buf.putLong(recs[i]);
        }
    }

    private void drain() throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        ch.close();
    }

    /** One traced connection read back: its records in order, {@link TcpTrace#WORDS} longs each. */
    public record Connection(int stream, long id, String endpoints, long[] records, int count) {
        /** Word {@code w} of record {@code i}. */
        public long get(int i, int w) {
            return records[i * TcpTrace.WORDS + w];
        }

        /** Event of record {@code i} (null for a code this version does not know). */
        public TcpTrace.Event event(int i) {
            return TcpTrace.event(get(i, TcpTrace.EVENT));
        }
    }

    /** Reads a whole trace file; connections in the order they first appear. */
    public static List<Connection> read(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return read(in);
        }
    }

    /** Reads a whole trace from a stream (e.g. a live trace written to standard output). */
    public static List<Connection> read(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 1 << 16));
        byte[] magic = new byte[MAGIC.length];
        try {
            in.readFully(magic);
        } catch (EOFException e) {
            throw new IOException("not a tapstack trace file (too short)");
        }
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a tapstack trace file (bad magic)");
        }
        int v = in.readInt();
        if (v != VERSION) {
            throw new IOException("trace file version " + v + " is not supported (expected " + VERSION + ")");
        }
        Map<String, Builder> conns = new LinkedHashMap<>();
        while (true) {
            int stream;
            try {
                stream = in.readInt();
            } catch (EOFException end) {
                break;
            }
            try {
                long id = in.readLong();
                int epLen = in.readUnsignedShort();
                byte[] ep = new byte[epLen];
                in.readFully(ep);
                int count = in.readInt();
                if (count < 0 || count > MAX_RECORDS_PER_BLOCK) {
                    throw new IOException("corrupt trace file: block of " + count + " records");
                }
                Builder b = conns.computeIfAbsent(stream + "/" + id,
                        k -> new Builder(stream, id, new String(ep, StandardCharsets.UTF_8)));
                for (int i = 0; i < count * TcpTrace.WORDS; i++) {
                    b.add(in.readLong());
                }
                b.count += count;
            } catch (EOFException e) {
                throw new IOException("truncated trace file (its last block ends early)");
            }
        }
        List<Connection> out = new ArrayList<>();
        for (Builder b : conns.values()) {
            out.add(new Connection(b.stream, b.id, b.endpoints, Arrays.copyOf(b.words, b.size), b.count));
        }
        return out;
    }

    private static final class Builder {
        final int stream;
        final long id;
        final String endpoints;
        long[] words = new long[TcpTrace.WORDS * 64];
        int size;
        int count;

        Builder(int stream, long id, String endpoints) {
            this.stream = stream;
            this.id = id;
            this.endpoints = endpoints;
        }

        void add(long w) {
            if (size == words.length) {
                words = Arrays.copyOf(words, words.length * 2);
            }
            words[size++] = w;
        }
    }
}
