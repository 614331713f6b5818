package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of an ICMPv6 message (RFC 4443 §2.1). The checksum covers the IPv6
 * pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Identifier / unused / MTU / Pointer / ND flags (32 bits)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Message body (echo data, invoking packet, ND fields) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Icmpv6 {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int REST = 4;
    public static final int ID = 4;
    public static final int SEQ = 6;
    public static final int HEADER_LEN = 8;

    // RFC 4443 §2.1: errors have the high bit of the type clear.
    public static final int DEST_UNREACHABLE = 1;
    public static final int PACKET_TOO_BIG = 2;
    public static final int TIME_EXCEEDED = 3;
    public static final int PARAMETER_PROBLEM = 4;
    public static final int ECHO_REQUEST = 128;
    public static final int ECHO_REPLY = 129;
    public static final int MLD_QUERY = 130;
    public static final int MLD_REPORT_V1 = 131;
    public static final int MLD_DONE = 132;
    public static final int ROUTER_SOLICITATION = 133;
    public static final int ROUTER_ADVERTISEMENT = 134;
    public static final int NEIGHBOR_SOLICITATION = 135;
    public static final int NEIGHBOR_ADVERTISEMENT = 136;
    public static final int REDIRECT = 137;
    public static final int MLD_REPORT_V2 = 143;

    // RFC 4443 §3.1 destination unreachable codes
    public static final int UNREACH_NO_ROUTE = 0;
    public static final int UNREACH_ADMIN = 1;
    public static final int UNREACH_BEYOND_SCOPE = 2;
    public static final int UNREACH_ADDRESS = 3;
    public static final int UNREACH_PORT = 4;
    // RFC 4443 §3.3
    public static final int TIME_EXCEEDED_HOP_LIMIT = 0;
    public static final int TIME_EXCEEDED_REASSEMBLY = 1;
    // RFC 4443 §3.4 (+ RFC 7112 code 3)
    public static final int PARAM_HEADER_FIELD = 0;
    public static final int PARAM_NEXT_HEADER = 1;
    public static final int PARAM_OPTION = 2;
    public static final int PARAM_HEADER_CHAIN = 3;

    public enum Error { NONE, TRUNCATED, BAD_CHECKSUM }

    private ByteBuffer buf;
    private int off;
    private int len;

    public Icmpv6 wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * Length at least the 4-byte type/code/checksum (every message we handle needs 8, checked
     * per type) and, given the pseudo-header sum, a valid checksum (RFC 4443 §2.3).
     */
    public Error check(boolean verifyChecksum, long pseudoSum) {
        if (len < 4) {
            return Error.TRUNCATED;
        }
        if (verifyChecksum && Checksum.finish(Checksum.add(pseudoSum, buf, off, len)) != 0) {
            return Error.BAD_CHECKSUM;
        }
        return Error.NONE;
    }

    /** RFC 4443 §2.1: types 0–127 are errors. */
    public static boolean isError(int type) {
        return type < 128;
    }

    public int type() {
        return buf.get(off + TYPE) & 0xff;
    }

    public int code() {
        return buf.get(off + CODE) & 0xff;
    }

    /** The 32-bit field after the checksum (MTU, pointer, ND flags); needs length ≥ 8. */
    public int rest() {
        return buf.getInt(off + REST);
    }

    public int id() {
        return buf.getShort(off + ID) & 0xffff;
    }

    public int seq() {
        return buf.getShort(off + SEQ) & 0xffff;
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    public int dataOffset() {
        return off + HEADER_LEN;
    }

    public int dataLength() {
        return len - HEADER_LEN;
    }

    public static void emitHeader(ByteBuffer b, int off, int type, int code, int rest) {
        b.put(off + TYPE, (byte) type);
        b.put(off + CODE, (byte) code);
        b.putShort(off + CHECKSUM, (short) 0);
        b.putInt(off + REST, rest);
    }

    /** Computes the checksum over the pseudo-header sum and {@code length} bytes. */
    public static void fillChecksum(ByteBuffer b, int off, int length, long pseudoSum) {
        b.putShort(off + CHECKSUM, (short) 0);
        b.putShort(off + CHECKSUM, (short) Checksum.finish(Checksum.add(pseudoSum, b, off, length)));
    }
}
