package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of an ICMP message (RFC 792).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Identifier (echo) / unused  |  Sequence (echo) / next MTU   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Data (echo) / original IP header + 64 bits (errors) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 */
public final class Icmpv4 {
    public static final int TYPE = 0;
    public static final int CODE = 1;
    public static final int CHECKSUM = 2;
    public static final int ID = 4;
    public static final int SEQ = 6;
    public static final int REST = 4;
    public static final int HEADER_LEN = 8;

    public static final int ECHO_REPLY = 0;
    public static final int DEST_UNREACHABLE = 3;
    public static final int SOURCE_QUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int ECHO_REQUEST = 8;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;
    public static final int TIMESTAMP = 13;
    public static final int TIMESTAMP_REPLY = 14;

    public static final int UNREACH_NET = 0;
    public static final int UNREACH_HOST = 1;
    public static final int UNREACH_PROTOCOL = 2;
    public static final int UNREACH_PORT = 3;
    public static final int UNREACH_NEEDFRAG = 4;
    public static final int TIME_EXCEEDED_TTL = 0;
    public static final int TIME_EXCEEDED_REASSEMBLY = 1;

    public enum Error { NONE, TRUNCATED, BAD_CHECKSUM }

    private ByteBuffer buf;
    private int off;
    private int len;

    public Icmpv4 wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    public Error check(boolean verifyChecksum) {
        if (len < HEADER_LEN) {
            return Error.TRUNCATED;
        }
        if (verifyChecksum && Checksum.compute(buf, off, len) != 0) {
            return Error.BAD_CHECKSUM;
        }
        return Error.NONE;
    }

    /** Types that are errors: never answer them with an error (RFC 1122 §3.2.2). */
    public static boolean isError(int type) {
        return type == DEST_UNREACHABLE || type == SOURCE_QUENCH || type == REDIRECT
                || type == TIME_EXCEEDED || type == PARAMETER_PROBLEM;
    }

    public int type() {
        return buf.get(off + TYPE) & 0xff;
    }

    public int code() {
        return buf.get(off + CODE) & 0xff;
    }

    public int id() {
        return buf.getShort(off + ID) & 0xffff;
    }

    public int seq() {
        return buf.getShort(off + SEQ) & 0xffff;
    }

    public int dataOffset() {
        return off + HEADER_LEN;
    }

    public int dataLength() {
        return len - HEADER_LEN;
    }

    public int length() {
        return len;
    }

    /** Writes type/code/rest-of-header; the checksum over {@code length} bytes is computed after. */
    public static void emitHeader(ByteBuffer b, int off, int type, int code, int rest) {
        b.put(off + TYPE, (byte) type);
        b.put(off + CODE, (byte) code);
        b.putShort(off + CHECKSUM, (short) 0);
        b.putInt(off + REST, rest);
    }

    public static void fillChecksum(ByteBuffer b, int off, int length) {
        b.putShort(off + CHECKSUM, (short) 0);
        b.putShort(off + CHECKSUM, (short) Checksum.compute(b, off, length));
    }
}
