package io.tapstack.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes pcapng (draft-ietf-opsawg-pcapng): one Section Header Block (§4.1), one Interface
 * Description Block (§4.2: LINKTYPE_ETHERNET, snaplen, {@code if_name}, and {@code if_tsresol} = 9
 * for nanosecond timestamps; omitted for the default microseconds), then an Enhanced Packet Block
 * (§4.3) per frame with an {@code epb_flags} option (§4.3.1) whose two low bits give the direction:
 * 01 inbound, 10 outbound. Little-endian. Options are code/length/value padded to 32 bits (§3.5).
 *
 * <p>With {@code flushEachPacket} each block is flushed (for pipes to {@code wireshark -k -i -}).
 * No allocation per packet.
 */
public final class PcapngWriter extends CaptureFileWriter {
    static final int SHB = 0x0A0D0D0A, IDB = 0x00000001, EPB = 0x00000006;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    static final int OPT_ENDOFOPT = 0, OPT_COMMENT = 1, IF_NAME = 2, IF_TSRESOL = 9, EPB_FLAGS = 2, SHB_USERAPPL = 4;

    private final ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    private static final byte[] PAD = new byte[4];

    public PcapngWriter(OutputStream out, String interfaceName, int snaplen, TimestampResolution resolution,
                        boolean flushEachPacket) throws IOException {
        super(out, snaplen, resolution, flushEachPacket);
        writeHeaderBlocks(interfaceName);
        written();
    }

    public PcapngWriter(WritableByteChannel ch, String interfaceName, int snaplen, TimestampResolution resolution,
                        boolean flushEachPacket) throws IOException {
        this(Channels.newOutputStream(ch), interfaceName, snaplen, resolution, flushEachPacket);
    }

    public static PcapngWriter create(Path file, String interfaceName, int snaplen, TimestampResolution resolution) throws IOException {
        return new PcapngWriter(Files.newOutputStream(file), interfaceName, snaplen, resolution, false);
    }

    private static int pad4(int n) { return (n + 3) & ~3; }

    private void writeHeaderBlocks(String ifName) throws IOException {
        byte[] appl = "tapstack".getBytes(StandardCharsets.UTF_8);
        // SHB (§4.1): type, length, byte-order magic, version 1.0, section length -1 (unknown), options
        int shbLen = 24 + 4 + pad4(appl.length) + 4 + 4; // type, length, BOM, version, section length = 24
        ByteBuffer b = ByteBuffer.allocate(shbLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(SHB).putInt(shbLen).putInt(BYTE_ORDER_MAGIC).putShort((short) 1).putShort((short) 0).putLong(-1L);
        option(b, SHB_USERAPPL, appl);
        b.putShort((short) OPT_ENDOFOPT).putShort((short) 0).putInt(shbLen);
        out.write(b.array());
        // IDB (§4.2): linktype, reserved, snaplen, options if_name, if_tsresol
        byte[] name = ifName == null ? new byte[0] : ifName.getBytes(StandardCharsets.UTF_8);
        int optLen = (name.length > 0 ? 4 + pad4(name.length) : 0)
                + (resolution == TimestampResolution.NANOSECONDS ? 8 : 0) + 4;
        int idbLen = 16 + optLen + 4;
        b = ByteBuffer.allocate(idbLen).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(IDB).putInt(idbLen).putShort((short) PcapWriter.LINKTYPE_ETHERNET).putShort((short) 0).putInt(snaplen);
        if (name.length > 0) option(b, IF_NAME, name);
        if (resolution == TimestampResolution.NANOSECONDS) option(b, IF_TSRESOL, new byte[] {9}); // 10^-9 s
        b.putShort((short) OPT_ENDOFOPT).putShort((short) 0).putInt(idbLen);
        out.write(b.array());
    }

    private static void option(ByteBuffer b, int code, byte[] value) {
        b.putShort((short) code).putShort((short) value.length).put(value);
        for (int i = value.length; i < pad4(value.length); i++) b.put((byte) 0);
    }

    @Override
    public void write(long timestampNanos, ByteBuffer data, int offset, int caplen, int wirelen, Direction dir) throws IOException {
        int n = Math.min(caplen, snaplen);
        long ts = resolution == TimestampResolution.NANOSECONDS ? timestampNanos : Math.floorDiv(timestampNanos, 1000L);
        int flagsOpt = dir == Direction.UNKNOWN ? 0 : 8;
        int total = 28 + pad4(n) + flagsOpt + 4 + 4;
        head.clear();
        head.putInt(EPB).putInt(total).putInt(0) // interface id 0
                .putInt((int) (ts >>> 32)).putInt((int) ts).putInt(n).putInt(Math.max(wirelen, n));
        out.write(head.array(), 0, 28);
        writeBytes(data, offset, n);
        out.write(PAD, 0, pad4(n) - n);
        head.clear();
        if (flagsOpt != 0) {
            // epb_flags (§4.3.1): bits 0-1 direction, 01 = inbound, 10 = outbound
            head.putShort((short) EPB_FLAGS).putShort((short) 4).putInt(dir == Direction.INBOUND ? 1 : 2);
        }
        head.putShort((short) OPT_ENDOFOPT).putShort((short) 0).putInt(total);
        out.write(head.array(), 0, head.position());
        written();
    }
}
