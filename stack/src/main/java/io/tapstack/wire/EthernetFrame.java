package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of an Ethernet II frame (IEEE 802.3 with an EtherType; no FCS).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    destination MAC (6)                        |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |      source MAC (6)           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         EtherType (2)         |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * 802.1Q tags (TPID 0x8100) are reported through {@link #vlanTagged()} and skipped by
 * {@link #etherType()} / {@link #payloadOffset()}.
 */
public final class EthernetFrame {
    public static final int DST = 0;
    public static final int SRC = 6;
    public static final int TYPE = 12;
    public static final int HEADER_LEN = 14;
    public static final int VLAN_TAG_LEN = 4;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_IPV6 = 0x86dd;

    private ByteBuffer buf;
    private int off;
    private int len;
    private int hdrLen;

    public EthernetFrame wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.hdrLen = HEADER_LEN;
        return this;
    }

    /** Validates lengths once; afterwards no accessor can fail. */
    public boolean check() {
        if (len < HEADER_LEN) {
            return false;
        }
        if ((buf.getShort(off + TYPE) & 0xffff) == TYPE_VLAN) {
            if (len < HEADER_LEN + VLAN_TAG_LEN) {
                return false;
            }
            hdrLen = HEADER_LEN + VLAN_TAG_LEN;
        }
        return true;
    }

    public long dst() {
        return MacAddress.read(buf, off + DST);
    }

    public long src() {
        return MacAddress.read(buf, off + SRC);
    }

    public boolean vlanTagged() {
        return hdrLen != HEADER_LEN;
    }

    /** The VLAN ID of a tagged frame (0 when untagged). */
    public int vlanId() {
        return vlanTagged() ? buf.getShort(off + TYPE + 2) & 0x0fff : 0;
    }

    public int etherType() {
        return buf.getShort(off + hdrLen - 2) & 0xffff;
    }

    public int headerLength() {
        return hdrLen;
    }

    public int payloadOffset() {
        return off + hdrLen;
    }

    public int payloadLength() {
        return len - hdrLen;
    }

    /** Writes a 14-byte untagged header at {@code off}. */
    public static void emit(ByteBuffer b, int off, long dst, long src, int etherType) {
        MacAddress.write(b, off + DST, dst);
        MacAddress.write(b, off + SRC, src);
        b.putShort(off + TYPE, (short) etherType);
    }
}
