package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of the IPv6 extension headers that share the "Next Header, Hdr Ext Len"
 * layout (RFC 8200 §4.3 Hop-by-Hop Options, §4.6 Destination Options, §4.4 Routing), with an
 * iterator over the TLV options of the two options headers (§4.2).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Header  |  Hdr Ext Len  |  options ... / Routing Type, Segments Left
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 * .            (Hdr Ext Len + 1) * 8 octets in all                .
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Option (TLV):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 * |  Option Type  |  Opt Data Len |  Option Data
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 * (Pad1 is the single octet 0.)  The two high bits of the type say what to do with an
 * unrecognised option: 00 skip, 01 discard, 10 discard + Parameter Problem, 11 the same
 * unless the destination was multicast.
 * </pre>
 */
public final class Ipv6ExtHeader {
    public static final int NEXT_HEADER = 0;
    public static final int HDR_EXT_LEN = 1;
    public static final int ROUTING_TYPE = 2;
    public static final int SEGMENTS_LEFT = 3;
    public static final int OPTIONS = 2;
    public static final int MIN_LENGTH = 8;

    public static final int OPT_PAD1 = 0;
    public static final int OPT_PADN = 1;
    /** Router Alert (RFC 2711), type 5: action 00, not changing en route. */
    public static final int OPT_ROUTER_ALERT = 5;
    /** Jumbo Payload (RFC 2675). */
    public static final int OPT_JUMBO = 0xc2;

    public static final int ACTION_SKIP = 0;
    public static final int ACTION_DISCARD = 1;
    public static final int ACTION_DISCARD_ICMP = 2;
    public static final int ACTION_DISCARD_ICMP_UNICAST = 3;

    /** Routing type 0 (deprecated by RFC 5095). */
    public static final int ROUTING_TYPE_0 = 0;

    private ByteBuffer buf;
    private int off;
    private int len;
    // option iterator state
    private int optAt;
    private int optEnd;
    private int curType;
    private int curOff;
    private int curLen;

    public Ipv6ExtHeader wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** The whole header lies within the bytes wrapped. */
    public boolean check() {
        return len >= MIN_LENGTH && headerLength() <= len;
    }

    public int nextHeader() {
        return buf.get(off + NEXT_HEADER) & 0xff;
    }

    /** Length in bytes: (Hdr Ext Len + 1) × 8. */
    public int headerLength() {
        return ((buf.get(off + HDR_EXT_LEN) & 0xff) + 1) * 8;
    }

    public int routingType() {
        return buf.get(off + ROUTING_TYPE) & 0xff;
    }

    public int segmentsLeft() {
        return buf.get(off + SEGMENTS_LEFT) & 0xff;
    }

    public static int action(int optionType) {
        return optionType >>> 6;
    }

    /** Starts iterating the options of a Hop-by-Hop or Destination Options header. */
    public void startOptions() {
        optAt = off + OPTIONS;
        optEnd = off + headerLength();
    }

    /**
     * Advances to the next option. Returns 1 when one is current, 0 at the end, and -1 when an
     * option runs past the header (malformed: the header must be discarded). Pad options are
     * reported too.
     */
    public int nextOption() {
        if (optAt >= optEnd) {
            return 0;
        }
        int t = buf.get(optAt) & 0xff;
        if (t == OPT_PAD1) {
            curType = t;
            curOff = optAt;
            curLen = 0;
            optAt++;
            return 1;
        }
        if (optAt + 2 > optEnd) {
            return -1;
        }
        int l = buf.get(optAt + 1) & 0xff;
        if (optAt + 2 + l > optEnd) {
            return -1;
        }
        curType = t;
        curOff = optAt;
        curLen = l;
        optAt += 2 + l;
        return 1;
    }

    public int optionType() {
        return curType;
    }

    /** Offset of the current option's type octet (for Parameter Problem pointers). */
    public int optionOffset() {
        return curOff;
    }

    public int optionDataLength() {
        return curLen;
    }

    public int optionDataOffset() {
        return curOff + 2;
    }

    /** Writes an 8-byte Hop-by-Hop header holding a Router Alert (RFC 2711) with a value, padded with PadN. */
    public static void emitRouterAlert(ByteBuffer b, int off, int nextHeader, int value) {
        b.put(off, (byte) nextHeader);
        b.put(off + 1, (byte) 0);
        b.put(off + 2, (byte) OPT_ROUTER_ALERT);
        b.put(off + 3, (byte) 2);
        b.putShort(off + 4, (short) value);
        b.put(off + 6, (byte) OPT_PADN);
        b.put(off + 7, (byte) 0);
    }

    /** Writes a header of {@code 8*(extLen+1)} bytes whose options area is one PadN (or Pad1s). */
    public static void emitPadded(ByteBuffer b, int off, int nextHeader, int extLen) {
        int total = (extLen + 1) * 8;
        b.put(off, (byte) nextHeader);
        b.put(off + 1, (byte) extLen);
        b.put(off + 2, (byte) OPT_PADN);
        b.put(off + 3, (byte) (total - 4));
        for (int i = 4; i < total; i++) {
            b.put(off + i, (byte) 0);
        }
    }
}
