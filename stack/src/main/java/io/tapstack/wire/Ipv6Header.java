package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of the IPv6 fixed header (RFC 8200 §3).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                                                               +
 * |                         Source Address (128)                  |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                                                               +
 * |                      Destination Address (128)                |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6Header {
    public static final int VER_TC_FLOW = 0;
    public static final int PAYLOAD_LENGTH = 4;
    public static final int NEXT_HEADER = 6;
    public static final int HOP_LIMIT = 7;
    public static final int SRC = 8;
    public static final int DST = 24;
    public static final int LENGTH = 40;

    /** Next Header values (IANA "Assigned Internet Protocol Numbers"). */
    public static final int NH_HOP_BY_HOP = 0;
    public static final int NH_TCP = 6;
    public static final int NH_UDP = 17;
    public static final int NH_ROUTING = 43;
    public static final int NH_FRAGMENT = 44;
    public static final int NH_ESP = 50;
    public static final int NH_AH = 51;
    public static final int NH_ICMPV6 = 58;
    public static final int NH_NONE = 59;
    public static final int NH_DEST_OPTIONS = 60;

    /** Why a header failed {@link #check()}: each is a drop reason. */
    public enum Error { NONE, TRUNCATED, BAD_VERSION, BAD_PAYLOAD_LENGTH }

    private ByteBuffer buf;
    private int off;
    private int len;

    public Ipv6Header wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * RFC 8200 §3: version 6, the 40-byte header present, and the payload length within what
     * arrived (a zero payload length is only meaningful for jumbograms, RFC 2675, which a host on
     * Ethernet never receives; it is taken literally here).
     */
    public Error check() {
        if (len < LENGTH) {
            return Error.TRUNCATED;
        }
        if ((buf.get(off) >>> 4 & 0xf) != 6) {
            return Error.BAD_VERSION;
        }
        if (LENGTH + payloadLength() > len) {
            return Error.BAD_PAYLOAD_LENGTH;
        }
        return Error.NONE;
    }

    public int offset() {
        return off;
    }

    public int trafficClass() {
        return (buf.getShort(off) >>> 4) & 0xff;
    }

    public int flowLabel() {
        return buf.getInt(off) & 0xfffff;
    }

    public int payloadLength() {
        return buf.getShort(off + PAYLOAD_LENGTH) & 0xffff;
    }

    public int nextHeader() {
        return buf.get(off + NEXT_HEADER) & 0xff;
    }

    public int hopLimit() {
        return buf.get(off + HOP_LIMIT) & 0xff;
    }

    public long srcHi() {
        return buf.getLong(off + SRC);
    }

    public long srcLo() {
        return buf.getLong(off + SRC + 8);
    }

    public long dstHi() {
        return buf.getLong(off + DST);
    }

    public long dstLo() {
        return buf.getLong(off + DST + 8);
    }

    /** Writes a 40-byte header at {@code off}. */
    public static void emit(ByteBuffer b, int off, int trafficClass, int flowLabel, int payloadLength,
                            int nextHeader, int hopLimit, long srcHi, long srcLo, long dstHi, long dstLo) {
        b.putInt(off + VER_TC_FLOW, (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff));
        b.putShort(off + PAYLOAD_LENGTH, (short) payloadLength);
        b.put(off + NEXT_HEADER, (byte) nextHeader);
        b.put(off + HOP_LIMIT, (byte) hopLimit);
        b.putLong(off + SRC, srcHi);
        b.putLong(off + SRC + 8, srcLo);
        b.putLong(off + DST, dstHi);
        b.putLong(off + DST + 8, dstLo);
    }

    /** Whether a Next Header value names an extension header this stack walks (RFC 8200 §4). */
    public static boolean isExtension(int nh) {
        return nh == NH_HOP_BY_HOP || nh == NH_ROUTING || nh == NH_FRAGMENT || nh == NH_DEST_OPTIONS;
    }

    /**
     * Walks the extension headers of a (possibly truncated, e.g. quoted in an ICMPv6 error)
     * IPv6 packet at {@code off} and returns the offset of the upper-layer header if it is
     * {@code protocol}, else -1. Never reads outside {@code [off, off+len)}. For a non-first
     * fragment there is no upper-layer header: -1.
     */
    public static int upperLayerOffset(ByteBuffer b, int off, int len, int protocol) {
        if (len < LENGTH) {
            return -1;
        }
        int end = off + len;
        int nh = b.get(off + NEXT_HEADER) & 0xff;
        int at = off + LENGTH;
        for (int guard = 0; guard < 16; guard++) {
            if (nh == protocol) {
                return at;
            }
            if (nh == NH_FRAGMENT) {
                if (at + 8 > end || (b.getShort(at + 2) & 0xfff8) != 0) {
                    return -1;
                }
                nh = b.get(at) & 0xff;
                at += 8;
            } else if (nh == NH_HOP_BY_HOP || nh == NH_ROUTING || nh == NH_DEST_OPTIONS) {
                if (at + 2 > end) {
                    return -1;
                }
                nh = b.get(at) & 0xff;
                at += ((b.get(at + 1) & 0xff) + 1) * 8;
                if (at > end) {
                    // an extension header longer than the packet (found by WireFuzzTarget.ipv6): no
                    // upper layer, rather than an offset past the end
                    return -1;
                }
            } else {
                return -1;
            }
        }
        return -1;
    }
}
