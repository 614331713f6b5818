package io.tapstack.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the classic libpcap file format (pcap-savefile(5); draft-ietf-opsawg-pcap):
 * a 24-byte global header (magic 0xa1b2c3d4 for microsecond or 0xa1b23c4d for nanosecond
 * timestamps, version 2.4, snaplen, linktype 1 = LINKTYPE_ETHERNET), then per packet a
 * 16-byte record header (seconds, micro/nanoseconds, captured length, original length) and the
 * bytes. Written in little-endian order (readers detect the order from the magic).
 *
 * <p>With {@code flushEachPacket} every packet is flushed to the underlying stream, which is
 * what a pipe to {@code tcpdump -r -} or {@code wireshark -k -i -} needs. No allocation per packet.
 */
public final class PcapWriter extends CaptureFileWriter {
    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;
    public static final int LINKTYPE_ETHERNET = 1;

    private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);

    public PcapWriter(OutputStream out, int snaplen, TimestampResolution resolution, boolean flushEachPacket) throws IOException {
        super(out, snaplen, resolution, flushEachPacket);
        header.clear();
        header.putInt(resolution == TimestampResolution.NANOSECONDS ? MAGIC_NANOS : MAGIC_MICROS);
        header.putShort((short) 2).putShort((short) 4); // version 2.4
        header.putInt(0);                                // thiszone
        header.putInt(0);                                // sigfigs
        header.putInt(snaplen);
        header.putInt(LINKTYPE_ETHERNET);
        this.out.write(header.array(), 0, 24);
        written();
    }

    public PcapWriter(WritableByteChannel ch, int snaplen, TimestampResolution resolution, boolean flushEachPacket) throws IOException {
        this(Channels.newOutputStream(ch), snaplen, resolution, flushEachPacket);
    }

    /** A file writer (buffered, flushed on close). */
    public static PcapWriter create(Path file, int snaplen, TimestampResolution resolution) throws IOException {
        return new PcapWriter(Files.newOutputStream(file), snaplen, resolution, false);
    }

    @Override
    public void write(long timestampNanos, ByteBuffer data, int offset, int caplen, int wirelen, Direction dir) throws IOException {
        int n = Math.min(caplen, snaplen);
        long sec = Math.floorDiv(timestampNanos, 1_000_000_000L);
        long frac = Math.floorMod(timestampNanos, 1_000_000_000L);
        if (resolution == TimestampResolution.MICROSECONDS) frac /= 1000;
        header.clear();
        header.putInt((int) sec).putInt((int) frac).putInt(n).putInt(Math.max(wirelen, n));
        out.write(header.array(), 0, 16);
        writeBytes(data, offset, n);
        written();
    }
}
