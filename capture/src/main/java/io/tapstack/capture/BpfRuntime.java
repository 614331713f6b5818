package io.tapstack.capture;

import java.nio.ByteBuffer;

/**
 * Helpers shared by {@link BpfInterpreter} and the classes {@link BpfJit} generates
 * (which live in this package as hidden classes and call these statically). Loads are
 * absolute and big-endian whatever the buffer's byte order (network byte order, as
 * libpcap's EXTRACT_BE_U_4). Callers have already checked bounds.
 */
final class BpfRuntime {
    private BpfRuntime() {}

    static int ldb(ByteBuffer b, int i) { return b.get(i) & 0xff; }

    static int ldh(ByteBuffer b, int i) { return ((b.get(i) & 0xff) << 8) | (b.get(i + 1) & 0xff); }

    static int ldw(ByteBuffer b, int i) {
        return ((b.get(i) & 0xff) << 24) | ((b.get(i + 1) & 0xff) << 16)
                | ((b.get(i + 2) & 0xff) << 8) | (b.get(i + 3) & 0xff);
    }

    static int ldb(byte[] b, int i) { return b[i] & 0xff; }

    static int ldh(byte[] b, int i) { return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff); }

    static int ldw(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }

    /** libpcap bpf_filter.c: {@code if (X < 32) A <<= X; else A = 0;} (unsigned X). */
    static int lsh(int a, int x) { return Integer.compareUnsigned(x, 32) < 0 ? a << x : 0; }

    /** libpcap bpf_filter.c: {@code if (X < 32) A >>= X; else A = 0;} (unsigned A and X). */
    static int rsh(int a, int x) { return Integer.compareUnsigned(x, 32) < 0 ? a >>> x : 0; }

    /** Bounds check used by generated code: true if {@code size} bytes at unsigned {@code x + k} fit in caplen. */
    static boolean fits(int x, int k, int size, int caplen) {
        return Integer.toUnsignedLong(x) + Integer.toUnsignedLong(k) + size <= caplen;
    }
}
