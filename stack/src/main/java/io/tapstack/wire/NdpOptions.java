package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight over the options of a Neighbor Discovery message (RFC 4861 §4.6): a sequence of
 * type / length (in units of 8 octets) / data.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |    Length     |              ...              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Prefix Information (type 3, length 4), offsets from the option start:
 *  2 Prefix Length, 3 L|A|Reserved1, 4 Valid Lifetime, 8 Preferred Lifetime,
 *  12 Reserved2, 16 Prefix (16 octets)
 * MTU (type 5, length 1): 4 MTU.   Link-layer address (types 1, 2): 2 address.
 * </pre>
 */
public final class NdpOptions {
    public static final int SOURCE_LLA = 1;
    public static final int TARGET_LLA = 2;
    public static final int PREFIX_INFO = 3;
    public static final int REDIRECTED_HEADER = 4;
    public static final int MTU = 5;
    public static final int NONCE = 14;
    /** RFC 8106 §5.1 Recursive DNS Server option. */
    public static final int RDNSS = 25;

    public static final int PI_PREFIX_LENGTH = 2;
    public static final int PI_FLAGS = 3;
    public static final int PI_VALID = 4;
    public static final int PI_PREFERRED = 8;
    public static final int PI_PREFIX = 16;
    public static final int PI_FLAG_ONLINK = 0x80;
    public static final int PI_FLAG_AUTO = 0x40;
    public static final int LLA_OPTION_LEN = 8;

    private ByteBuffer buf;
    private int off;
    private int len;
    private int at;
    private int curType;
    private int curOff;
    private int curLen;

    public NdpOptions wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        this.at = off;
        return this;
    }

    /**
     * RFC 4861 §7.1.1 / §7.1.2 / §6.1.2: every option has a non-zero length and lies within the
     * message. Returns false if not (the whole message must be discarded).
     */
    public boolean check() {
        int p = off;
        int end = off + len;
        while (p < end) {
            if (p + 2 > end) {
                return false;
            }
            int l = (buf.get(p + 1) & 0xff) * 8;
            if (l == 0 || p + l > end) {
                return false;
            }
            p += l;
        }
        return true;
    }

    /** Rewinds the iterator. */
    public void rewind() {
        at = off;
    }

    /** Advances to the next option (after {@link #check()}); false at the end. */
    public boolean next() {
        if (at >= off + len) {
            return false;
        }
        curType = buf.get(at) & 0xff;
        curLen = (buf.get(at + 1) & 0xff) * 8;
        curOff = at;
        at += curLen;
        return true;
    }

    public int type() {
        return curType;
    }

    /** Offset of the current option (its type octet). */
    public int optionOffset() {
        return curOff;
    }

    /** Length of the current option in bytes. */
    public int optionLength() {
        return curLen;
    }

    /** The first option of {@code type}'s offset, or -1. */
    public int find(int type) {
        int p = off;
        int end = off + len;
        while (p + 2 <= end) {
            int l = (buf.get(p + 1) & 0xff) * 8;
            if (l == 0) {
                return -1;
            }
            if ((buf.get(p) & 0xff) == type) {
                return p;
            }
            p += l;
        }
        return -1;
    }

    /** Length in bytes of the option at {@code opt} (after {@link #check()}). */
    public int optionLengthAt(int opt) {
        return (buf.get(opt + 1) & 0xff) * 8;
    }

    /** The Ethernet address in a link-layer address option at {@code opt} (length ≥ 8). */
    public static long lla(ByteBuffer b, int opt) {
        return MacAddress.read(b, opt + 2);
    }

    /** Writes an 8-byte source/target link-layer address option for Ethernet (RFC 4861 §4.6.1). */
    public static void emitLla(ByteBuffer b, int off, int type, long mac) {
        b.put(off, (byte) type);
        b.put(off + 1, (byte) 1);
        MacAddress.write(b, off + 2, mac);
    }

    /** Writes a 32-byte Prefix Information option (RFC 4861 §4.6.2). */
    public static void emitPrefix(ByteBuffer b, int off, int prefixLength, boolean onLink, boolean auto,
                                  long valid, long preferred, long prefixHi, long prefixLo) {
        b.put(off, (byte) PREFIX_INFO);
        b.put(off + 1, (byte) 4);
        b.put(off + PI_PREFIX_LENGTH, (byte) prefixLength);
        b.put(off + PI_FLAGS, (byte) ((onLink ? PI_FLAG_ONLINK : 0) | (auto ? PI_FLAG_AUTO : 0)));
        b.putInt(off + PI_VALID, (int) valid);
        b.putInt(off + PI_PREFERRED, (int) preferred);
        b.putInt(off + 12, 0);
        b.putLong(off + PI_PREFIX, prefixHi);
        b.putLong(off + PI_PREFIX + 8, prefixLo);
    }

    /** Writes an 8-byte MTU option (RFC 4861 §4.6.4). */
    public static void emitMtu(ByteBuffer b, int off, int mtu) {
        b.put(off, (byte) MTU);
        b.put(off + 1, (byte) 1);
        b.putShort(off + 2, (short) 0);
        b.putInt(off + 4, mtu);
    }
}
