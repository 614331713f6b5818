package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of an ARP packet for Ethernet/IPv4 (RFC 826).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    hardware type (1)          |    protocol type (0x0800)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  hlen (6)     |  plen (4)     |        operation              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  sender hardware address (6) ...  sender protocol address (4) |
 * |  target hardware address (6) ...  target protocol address (4) |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class ArpPacket {
    public static final int HTYPE = 0;
    public static final int PTYPE = 2;
    public static final int HLEN = 4;
    public static final int PLEN = 5;
    public static final int OPER = 6;
    public static final int SHA = 8;
    public static final int SPA = 14;
    public static final int THA = 18;
    public static final int TPA = 24;
    public static final int LENGTH = 28;

    public static final int HTYPE_ETHERNET = 1;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    /** Why a packet failed {@link #check()}. */
    public enum Error { NONE, TRUNCATED, BAD_HTYPE, BAD_PTYPE, BAD_HLEN, BAD_PLEN, BAD_OPERATION }

    private ByteBuffer buf;
    private int off;
    private int len;

    public ArpPacket wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** Validates for Ethernet/IPv4 ARP; afterwards no accessor can fail. */
    public Error check() {
        if (len < LENGTH) {
            return Error.TRUNCATED;
        }
        if ((buf.getShort(off + HTYPE) & 0xffff) != HTYPE_ETHERNET) {
            return Error.BAD_HTYPE;
        }
        if ((buf.getShort(off + PTYPE) & 0xffff) != EthernetFrame.TYPE_IPV4) {
            return Error.BAD_PTYPE;
        }
        if ((buf.get(off + HLEN) & 0xff) != 6) {
            return Error.BAD_HLEN;
        }
        if ((buf.get(off + PLEN) & 0xff) != 4) {
            return Error.BAD_PLEN;
        }
        int op = operation();
        if (op != OP_REQUEST && op != OP_REPLY) {
            return Error.BAD_OPERATION;
        }
        return Error.NONE;
    }

    public int operation() {
        return buf.getShort(off + OPER) & 0xffff;
    }

    public long senderMac() {
        return MacAddress.read(buf, off + SHA);
    }

    public int senderIp() {
        return buf.getInt(off + SPA);
    }

    public long targetMac() {
        return MacAddress.read(buf, off + THA);
    }

    public int targetIp() {
        return buf.getInt(off + TPA);
    }

    /** Writes a complete 28-byte Ethernet/IPv4 ARP packet at {@code off}. */
    public static void emit(ByteBuffer b, int off, int op, long sha, int spa, long tha, int tpa) {
        b.putShort(off + HTYPE, (short) HTYPE_ETHERNET);
        b.putShort(off + PTYPE, (short) EthernetFrame.TYPE_IPV4);
        b.put(off + HLEN, (byte) 6);
        b.put(off + PLEN, (byte) 4);
        b.putShort(off + OPER, (short) op);
        MacAddress.write(b, off + SHA, sha);
        b.putInt(off + SPA, spa);
        MacAddress.write(b, off + THA, tha);
        b.putInt(off + TPA, tpa);
    }
}
