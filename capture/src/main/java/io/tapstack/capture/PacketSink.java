package io.tapstack.capture;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Where captured frames go: a pcap or pcapng writer, or anything else. Used by one thread at a time. */
public interface PacketSink extends Closeable {
    /**
     * Writes one frame: {@code caplen} bytes of {@code data} from {@code offset} (absolute index,
     * position and limit are ignored), which was {@code wirelen} bytes on the wire.
     */
    void write(long timestampNanos, ByteBuffer data, int offset, int caplen, int wirelen, Direction dir) throws IOException;

    default void write(long timestampNanos, byte[] data, int offset, int caplen, int wirelen, Direction dir) throws IOException {
        write(timestampNanos, ByteBuffer.wrap(data), offset, caplen, wirelen, dir);
    }

    void flush() throws IOException;
}
