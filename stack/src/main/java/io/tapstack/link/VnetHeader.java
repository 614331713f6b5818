package io.tapstack.link;

import io.tapstack.buffer.PacketBuf;

import java.nio.ByteBuffer;

/**
 * The virtio-net header (virtio spec §5.1.6, {@code struct virtio_net_hdr}) that a TAP opened
 * with {@code IFF_VNET_HDR} puts in front of each frame. Little-endian fields.
 *
 * <pre>
 *  0        1        2        4        6           8            10
 *  | flags  | gso    | hdr_len| gso_size| csum_start| csum_offset|
 * </pre>
 */
public final class VnetHeader {
    public static final int LENGTH = 10;
    public static final int F_NEEDS_CSUM = 1;
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;

    private VnetHeader() {
    }

    /** Writes a header at {@code off} from the packet's checksum/GSO metadata. */
    public static void emit(PacketBuf p, int off) {
        ByteBuffer b = p.buf();
        int frameStart = off + LENGTH;
        int flags = p.csumState == PacketBuf.CSUM_PARTIAL ? F_NEEDS_CSUM : 0;
        b.put(off, (byte) flags);
        b.put(off + 1, (byte) p.gsoType);
        short hdrLen = 0;
        if (p.gsoType != GSO_NONE) {
            // headers up to the end of the TCP header; a hint for the device (Linux recomputes it)
            int l4 = p.csumStart;
            int tcpHl = ((b.get(l4 + 12) >>> 4) & 0xf) * 4;
            hdrLen = (short) (l4 + tcpHl - frameStart);
        }
        b.putShort(off + 2, Short.reverseBytes(hdrLen));
        b.putShort(off + 4, Short.reverseBytes((short) p.gsoSize));
        // csum_start counts from the Ethernet header (the frame starts after this header)
        b.putShort(off + 6, Short.reverseBytes((short) (flags != 0 ? p.csumStart - frameStart : 0)));
        b.putShort(off + 8, Short.reverseBytes((short) (flags != 0 ? p.csumOffset : 0)));
    }
}
