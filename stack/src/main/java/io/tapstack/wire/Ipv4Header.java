package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of an IPv4 header (RFC 791 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv4Header {
    public static final int VER_IHL = 0;
    public static final int TOS = 1;
    public static final int TOTAL_LENGTH = 2;
    public static final int IDENT = 4;
    public static final int FLAGS_FRAG = 6;
    public static final int TTL = 8;
    public static final int PROTOCOL = 9;
    public static final int CHECKSUM = 10;
    public static final int SRC = 12;
    public static final int DST = 16;
    public static final int MIN_LENGTH = 20;

    public static final int FLAG_DF = 0x4000;
    public static final int FLAG_MF = 0x2000;
    public static final int FRAG_OFFSET_MASK = 0x1fff;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    /** Why a header failed {@link #check()}: each is a drop reason. */
    public enum Error { NONE, TRUNCATED, BAD_VERSION, BAD_IHL, BAD_TOTAL_LENGTH, BAD_CHECKSUM }

    private ByteBuffer buf;
    private int off;
    private int len;

    public Ipv4Header wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * RFC 1122 §3.2.1.1–3.2.1.2: version 4, IHL ≥ 5, total length within what arrived, header
     * checksum valid (unless {@code verifyChecksum} is false because a device vouched for it).
     */
    public Error check(boolean verifyChecksum) {
        if (len < MIN_LENGTH) {
            return Error.TRUNCATED;
        }
        int vi = buf.get(off + VER_IHL) & 0xff;
        if ((vi >>> 4) != 4) {
            return Error.BAD_VERSION;
        }
        int hl = (vi & 0x0f) * 4;
        if (hl < MIN_LENGTH) {
            return Error.BAD_IHL;
        }
        if (hl > len) {
            return Error.TRUNCATED;
        }
        int tl = totalLength();
        if (tl < hl || tl > len) {
            return Error.BAD_TOTAL_LENGTH;
        }
        if (verifyChecksum && Checksum.compute(buf, off, hl) != 0) {
            return Error.BAD_CHECKSUM;
        }
        return Error.NONE;
    }

    public int offset() {
        return off;
    }

    public int headerLength() {
        return (buf.get(off + VER_IHL) & 0x0f) * 4;
    }

    public int tos() {
        return buf.get(off + TOS) & 0xff;
    }

    public int totalLength() {
        return buf.getShort(off + TOTAL_LENGTH) & 0xffff;
    }

    public int ident() {
        return buf.getShort(off + IDENT) & 0xffff;
    }

    public int flagsFrag() {
        return buf.getShort(off + FLAGS_FRAG) & 0xffff;
    }

    public boolean dontFragment() {
        return (flagsFrag() & FLAG_DF) != 0;
    }

    public boolean moreFragments() {
        return (flagsFrag() & FLAG_MF) != 0;
    }

    /** Fragment offset in bytes. */
    public int fragmentOffset() {
        return (flagsFrag() & FRAG_OFFSET_MASK) * 8;
    }

    public boolean isFragment() {
        return (flagsFrag() & (FLAG_MF | FRAG_OFFSET_MASK)) != 0;
    }

    public int ttl() {
        return buf.get(off + TTL) & 0xff;
    }

    public int protocol() {
        return buf.get(off + PROTOCOL) & 0xff;
    }

    public int checksum() {
        return buf.getShort(off + CHECKSUM) & 0xffff;
    }

    public int src() {
        return buf.getInt(off + SRC);
    }

    public int dst() {
        return buf.getInt(off + DST);
    }

    public int payloadOffset() {
        return off + headerLength();
    }

    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /** Writes a 20-byte header (no options) with its checksum at {@code off}. */
    public static void emit(ByteBuffer b, int off, int tos, int totalLength, int ident, int flagsFrag,
                            int ttl, int protocol, int src, int dst) {
        b.put(off + VER_IHL, (byte) 0x45);
        b.put(off + TOS, (byte) tos);
        b.putShort(off + TOTAL_LENGTH, (short) totalLength);
        b.putShort(off + IDENT, (short) ident);
        b.putShort(off + FLAGS_FRAG, (short) flagsFrag);
        b.put(off + TTL, (byte) ttl);
        b.put(off + PROTOCOL, (byte) protocol);
        b.putShort(off + CHECKSUM, (short) 0);
        b.putInt(off + SRC, src);
        b.putInt(off + DST, dst);
        b.putShort(off + CHECKSUM, (short) Checksum.compute(b, off, MIN_LENGTH));
    }
}
