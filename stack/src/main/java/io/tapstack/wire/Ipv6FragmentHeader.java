package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of the IPv6 Fragment header (RFC 8200 §4.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Identification                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Ipv6FragmentHeader {
    public static final int NEXT_HEADER = 0;
    public static final int OFFSET_FLAGS = 2;
    public static final int IDENT = 4;
    public static final int LENGTH = 8;

    private ByteBuffer buf;
    private int off;
    private int len;

    public Ipv6FragmentHeader wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    public boolean check() {
        return len >= LENGTH;
    }

    public int nextHeader() {
        return buf.get(off + NEXT_HEADER) & 0xff;
    }

    /** Fragment offset in bytes. */
    public int fragmentOffset() {
        return buf.getShort(off + OFFSET_FLAGS) & 0xfff8;
    }

    public boolean moreFragments() {
        return (buf.getShort(off + OFFSET_FLAGS) & 1) != 0;
    }

    public int identification() {
        return buf.getInt(off + IDENT);
    }

    /** RFC 6946: offset 0 and M clear — a whole packet carrying a fragment header. */
    public boolean isAtomic() {
        return fragmentOffset() == 0 && !moreFragments();
    }

    public static void emit(ByteBuffer b, int off, int nextHeader, int offsetBytes, boolean more, int ident) {
        b.put(off + NEXT_HEADER, (byte) nextHeader);
        b.put(off + 1, (byte) 0);
        b.putShort(off + OFFSET_FLAGS, (short) ((offsetBytes & 0xfff8) | (more ? 1 : 0)));
        b.putInt(off + IDENT, ident);
    }
}
