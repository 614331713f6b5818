package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * Flyweight view of a UDP header (RFC 768).
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * +---------------- ...
 * </pre>
 *
 * Length counts the header and the data (so it is at least 8). A transmitted checksum of zero
 * means "none" (IPv4 only); a computed zero is sent as 0xffff (RFC 768).
 */
public final class UdpHeader {
    public static final int SRC_PORT = 0;
    public static final int DST_PORT = 2;
    public static final int LENGTH = 4;
    public static final int CHECKSUM = 6;
    public static final int HEADER_LEN = 8;

    /** Why a datagram failed {@link #check(int)}: each is a drop reason. */
    public enum Error { NONE, TRUNCATED, BAD_LENGTH }

    private ByteBuffer buf;
    private int off;
    private int len;

    public UdpHeader wrap(ByteBuffer buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * RFC 768 / RFC 1122 §4.1.3.4: the header must be present and the UDP length must lie between
     * 8 and the IP payload length (the bytes wrapped). Bytes beyond the UDP length are padding.
     */
    public Error check() {
        if (len < HEADER_LEN) {
            return Error.TRUNCATED;
        }
        int l = length();
        if (l < HEADER_LEN || l > len) {
            return Error.BAD_LENGTH;
        }
        return Error.NONE;
    }

    public int srcPort() {
        return buf.getShort(off + SRC_PORT) & 0xffff;
    }

    public int dstPort() {
        return buf.getShort(off + DST_PORT) & 0xffff;
    }

    /** The UDP length field (header + data). */
    public int length() {
        return buf.getShort(off + LENGTH) & 0xffff;
    }

    public int checksum() {
        return buf.getShort(off + CHECKSUM) & 0xffff;
    }

    public int dataOffset() {
        return off + HEADER_LEN;
    }

    public int dataLength() {
        return length() - HEADER_LEN;
    }

    /** Writes the header with a zero checksum; see {@link #fillChecksum}. */
    public static void emit(ByteBuffer b, int off, int srcPort, int dstPort, int length) {
        b.putShort(off + SRC_PORT, (short) srcPort);
        b.putShort(off + DST_PORT, (short) dstPort);
        b.putShort(off + LENGTH, (short) length);
        b.putShort(off + CHECKSUM, (short) 0);
    }

    /**
     * Computes the checksum over the pseudo-header sum and {@code length} bytes at {@code off}
     * (the checksum field must be zero); a result of zero is sent as all ones (RFC 768).
     */
    public static void fillChecksum(ByteBuffer b, int off, int length, long pseudoSum) {
        int c = Checksum.finish(Checksum.add(pseudoSum, b, off, length));
        b.putShort(off + CHECKSUM, (short) (c == 0 ? 0xffff : c));
    }
}
