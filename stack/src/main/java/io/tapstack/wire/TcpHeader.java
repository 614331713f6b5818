package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of a TCP header (RFC 9293 §3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Data ...
 * </pre>
 *
 * <p>{@link #check(ByteBuffer, int, int)} validates the data offset once; afterwards no
 * accessor can read outside the segment.
 */
public final class TcpHeader {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int SEQ = 4;
    public static final int ACK = 8;
    public static final int OFFSET_FLAGS = 12;
    public static final int FLAGS = 13;
    public static final int WINDOW = 14;
    public static final int CHECKSUM = 16;
    public static final int URGENT = 18;
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK_FLAG = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** Why a segment failed {@link #check}: each is a drop reason. */
    public enum Error { NONE, TRUNCATED, BAD_OFFSET }

    private ByteBuffer buf;
    private int off;
    private int len;

    public TcpHeader wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /** RFC 9293 §3.1: at least 20 bytes, data offset ≥ 5 words and within the segment. */
    public Error check() {
        if (len < MIN_LENGTH) {
            return Error.TRUNCATED;
        }
        int hl = headerLength();
        if (hl < MIN_LENGTH || hl > len) {
            return Error.BAD_OFFSET;
        }
        return Error.NONE;
    }

    public int offset() {
        return off;
    }

    public int segmentLength() {
        return len;
    }

    public int srcPort() {
        return buf.getShort(off + SRC_PORT) & 0xffff;
    }

    public int dstPort() {
        return buf.getShort(off + DST_PORT) & 0xffff;
    }

    public int seq() {
        return buf.getInt(off + SEQ);
    }

    public int ack() {
        return buf.getInt(off + ACK);
    }

    public int headerLength() {
        return ((buf.get(off + OFFSET_FLAGS) & 0xff) >>> 4) * 4;
    }

    public int flags() {
        return buf.get(off + FLAGS) & 0xff;
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    public int window() {
        return buf.getShort(off + WINDOW) & 0xffff;
    }

    public int checksum() {
        return buf.getShort(off + CHECKSUM) & 0xffff;
    }

    public int urgentPointer() {
        return buf.getShort(off + URGENT) & 0xffff;
    }

    public int optionsOffset() {
        return off + MIN_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    public int payloadOffset() {
        return off + headerLength();
    }

    public int payloadLength() {
        return len - headerLength();
    }

    /**
     * Writes a header at {@code off} with {@code headerLength} bytes (20 + options, a multiple
     * of 4; the options themselves are written by the caller) and a zero checksum.
     */
    public static void emit(ByteBuffer b, int off, int srcPort, int dstPort, int seq, int ack,
                            int headerLength, int flags, int window) {
        b.putShort(off + SRC_PORT, (short) srcPort);
        b.putShort(off + DST_PORT, (short) dstPort);
        b.putInt(off + SEQ, seq);
        b.putInt(off + ACK, ack);
        b.put(off + OFFSET_FLAGS, (byte) ((headerLength / 4) << 4));
        b.put(off + FLAGS, (byte) flags);
        b.putShort(off + WINDOW, (short) window);
        b.putShort(off + CHECKSUM, (short) 0);
        b.putShort(off + URGENT, (short) 0);
    }

    /** Flags as text, tcpdump style ("S.", "F.", "R", "P."), for logs and tests. */
    public static String flagString(int f) {
        StringBuilder sb = new StringBuilder();
        if ((f & SYN) != 0) {
            sb.append('S');
        }
        if ((f & FIN) != 0) {
            sb.append('F');
        }
        if ((f & RST) != 0) {
            sb.append('R');
        }
        if ((f & PSH) != 0) {
            sb.append('P');
        }
        if ((f & URG) != 0) {
            sb.append('U');
        }
        if ((f & ACK_FLAG) != 0) {
            sb.append('.');
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
