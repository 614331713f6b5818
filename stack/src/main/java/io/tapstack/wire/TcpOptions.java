package io.tapstack.wire;

import java.nio.ByteBuffer;

/**
 * TCP options (RFC 9293 §3.2), parsed into reusable fields and written by static helpers:
 * MSS (kind 2), window scale (3, RFC 7323 §2), SACK-permitted (4) and SACK (5, RFC 2018),
 * timestamps (8, RFC 7323 §3).
 *
 * <pre>
 *  kind=0 end   kind=1 nop   kind=2 len=4 MSS(16)   kind=3 len=3 shift(8)
 *  kind=4 len=2   kind=5 len=2+8n (left,right)×n   kind=8 len=10 TSval(32) TSecr(32)
 * </pre>
 *
 * <p>One instance is reused for every segment (no allocation). Unknown options are skipped by
 * their length (RFC 9293 §3.2: "MUST be prepared to handle an illegal option length ... without
 * crashing"); a length that is below 2 or runs past the header makes the whole segment
 * malformed ({@link #parse} returns false) and the caller drops and counts it. A known option
 * with the wrong length is ignored (as Linux does) and counted in {@link #badKnownLength}.
 */
public final class TcpOptions {
    public static final int KIND_END = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WSCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;
    /** RFC 7323 §2.3: shifts above 14 are treated as 14. */
    public static final int MAX_WSCALE = 14;
    /** At most 4 SACK blocks fit in 40 bytes of options (3 beside timestamps). */
    public static final int MAX_SACK_BLOCKS = 4;

    public boolean hasMss;
    public int mss;
    public boolean hasWscale;
    public int wscale;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    public int sackCount;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];
    /** A known option had a length other than its fixed one (ignored). */
    public boolean badKnownLength;

    public void clear() {
        hasMss = hasWscale = sackPermitted = hasTimestamp = badKnownLength = false;
        mss = wscale = tsVal = tsEcr = sackCount = 0;
    }

    /** Parses {@code len} bytes of options at {@code off}; false if the option list is malformed. */
    public boolean parse(ByteBuffer b, int off, int len) {
        clear();
        int i = off;
        int end = off + len;
        while (i < end) {
            int kind = b.get(i) & 0xff;
            if (kind == KIND_END) {
                break;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return false;
            }
            int ol = b.get(i + 1) & 0xff;
            if (ol < 2 || i + ol > end) {
                return false;
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (ol == 4) {
                        hasMss = true;
                        mss = b.getShort(i + 2) & 0xffff;
                    } else {
                        badKnownLength = true;
                    }
                }
                case KIND_WSCALE -> {
                    if (ol == 3) {
                        hasWscale = true;
                        wscale = Math.min(b.get(i + 2) & 0xff, MAX_WSCALE);
                    } else {
                        badKnownLength = true;
                    }
                }
                case KIND_SACK_PERMITTED -> {
                    if (ol == 2) {
                        sackPermitted = true;
                    } else {
                        badKnownLength = true;
                    }
                }
                case KIND_SACK -> {
                    if (ol >= 10 && (ol - 2) % 8 == 0) {
                        int n = Math.min((ol - 2) / 8, MAX_SACK_BLOCKS);
                        for (int k = 0; k < n; k++) {
                            sackLeft[k] = b.getInt(i + 2 + 8 * k);
                            sackRight[k] = b.getInt(i + 6 + 8 * k);
                        }
                        sackCount = n;
                    } else {
                        badKnownLength = true;
                    }
                }
                case KIND_TIMESTAMP -> {
                    if (ol == 10) {
                        hasTimestamp = true;
                        tsVal = b.getInt(i + 2);
                        tsEcr = b.getInt(i + 6);
                    } else {
                        badKnownLength = true;
                    }
                }
                default -> {
                    // unknown option: skip it by its length (RFC 9293 §3.2)
                }
            }
            i += ol;
        }
        return true;
    }

    // ---- writers: each returns the number of bytes written ----

    public static int writeMss(ByteBuffer b, int off, int mss) {
        b.put(off, (byte) KIND_MSS);
        b.put(off + 1, (byte) 4);
        b.putShort(off + 2, (short) mss);
        return 4;
    }

    /** NOP + window scale (4 bytes, aligned). */
    public static int writeNopWscale(ByteBuffer b, int off, int shift) {
        b.put(off, (byte) KIND_NOP);
        b.put(off + 1, (byte) KIND_WSCALE);
        b.put(off + 2, (byte) 3);
        b.put(off + 3, (byte) shift);
        return 4;
    }

    /** SACK-permitted + timestamps (12 bytes), the SYN layout Linux uses. */
    public static int writeSackPermTimestamp(ByteBuffer b, int off, int tsVal, int tsEcr) {
        b.put(off, (byte) KIND_SACK_PERMITTED);
        b.put(off + 1, (byte) 2);
        b.put(off + 2, (byte) KIND_TIMESTAMP);
        b.put(off + 3, (byte) 10);
        b.putInt(off + 4, tsVal);
        b.putInt(off + 8, tsEcr);
        return 12;
    }

    /** NOP NOP + timestamps (12 bytes, RFC 7323 Appendix A layout). */
    public static int writeTimestamp(ByteBuffer b, int off, int tsVal, int tsEcr) {
        b.put(off, (byte) KIND_NOP);
        b.put(off + 1, (byte) KIND_NOP);
        b.put(off + 2, (byte) KIND_TIMESTAMP);
        b.put(off + 3, (byte) 10);
        b.putInt(off + 4, tsVal);
        b.putInt(off + 8, tsEcr);
        return 12;
    }

    /** NOP NOP SACK-permitted (4 bytes). */
    public static int writeSackPermitted(ByteBuffer b, int off) {
        b.put(off, (byte) KIND_NOP);
        b.put(off + 1, (byte) KIND_NOP);
        b.put(off + 2, (byte) KIND_SACK_PERMITTED);
        b.put(off + 3, (byte) 2);
        return 4;
    }

    /** NOP NOP SACK with {@code n} blocks (4 + 8n bytes). */
    public static int writeSack(ByteBuffer b, int off, int[] left, int[] right, int n) {
        b.put(off, (byte) KIND_NOP);
        b.put(off + 1, (byte) KIND_NOP);
        b.put(off + 2, (byte) KIND_SACK);
        b.put(off + 3, (byte) (2 + 8 * n));
        for (int k = 0; k < n; k++) {
            b.putInt(off + 4 + 8 * k, left[k]);
            b.putInt(off + 8 + 8 * k, right[k]);
        }
        return 4 + 8 * n;
    }
}
