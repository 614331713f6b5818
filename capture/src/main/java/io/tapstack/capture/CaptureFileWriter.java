package io.tapstack.capture;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * What the pcap and pcapng writers share: a buffered stream, the snap length and timestamp
 * resolution of the file, the frame bytes written from a heap buffer's array or through one
 * reused copy (no allocation per packet), a flush after each packet when asked (for pipes), and
 * flush-then-close.
 */
abstract class CaptureFileWriter implements PacketSink {
    final OutputStream out;
    final TimestampResolution resolution;
    final int snaplen;
    private final boolean flushEachPacket;
    private byte[] copy = new byte[2048];

    CaptureFileWriter(OutputStream out, int snaplen, TimestampResolution resolution, boolean flushEachPacket) {
        this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(Objects.requireNonNull(out), 65536);
        if (snaplen <= 0) throw new IllegalArgumentException("snaplen must be positive");
        this.snaplen = snaplen;
        this.resolution = Objects.requireNonNull(resolution);
        this.flushEachPacket = flushEachPacket;
    }

    /** Writes {@code n} bytes of {@code data} from the absolute index {@code offset}. */
    final void writeBytes(ByteBuffer data, int offset, int n) throws IOException {
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + offset, n);
        } else {
            if (copy.length < n) copy = new byte[Math.max(n, copy.length * 2)];
            data.get(offset, copy, 0, n);
            out.write(copy, 0, n);
        }
    }

    /** After a header or a packet: flushed at once if the writer feeds a pipe. */
    final void written() throws IOException {
        if (flushEachPacket) out.flush();
    }

    @Override
    public void flush() throws IOException { out.flush(); }

    @Override
    public void close() throws IOException {
        try {
            out.flush();
        } finally {
            out.close();
        }
    }
}
