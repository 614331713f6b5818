package io.tapstack.service;

/**
 * The chunked transfer coding of a request body (RFC 9112 §7.1), decoded incrementally from
 * whatever bytes have arrived:
 *
 * <pre>
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk   = 1*("0") [ chunk-ext ] CRLF
 * </pre>
 *
 * Chunk extensions are ignored (§7.1.1: a recipient MUST ignore unrecognized ones) and trailer
 * fields are read and dropped (§7.1.2). Lines end with CRLF; a size line, an extension or the
 * trailer section longer than {@link #MAX_LINE} bytes, a size that is not hexadecimal or
 * overflows, or chunk data not followed by CRLF makes the body malformed ({@link #failed()}),
 * and the server answers 400 and closes. Holds no buffer of its own: a line is parsed only once
 * it is complete in the caller's buffer.
 */
final class ChunkedDecoder {
    /** Longest size line or trailer line; also the bound on the whole trailer section × 4. */
    static final int MAX_LINE = 4096;

    /** Receives the chunk data, in order. */
    interface Sink {
        void data(byte[] a, int off, int len);
    }

    private enum State { SIZE, DATA, DATA_CRLF, TRAILER, DONE, ERROR }

    private State state = State.SIZE;
    private long remaining;
    private long total;
    private int trailerBytes;
    private String error;

    /** True once the last chunk and the trailer section have been read. */
    boolean done() {
        return state == State.DONE;
    }

    /** True if the body was malformed; {@link #error()} says why. */
    boolean failed() {
        return state == State.ERROR;
    }

    String error() {
        return error;
    }

    /** Bytes of chunk data so far. */
    long total() {
        return total;
    }

    /**
     * Decodes from {@code a[off, off + len)}; returns how many bytes were consumed. Fewer than
     * {@code len} means: a line is not complete yet (call again with more), or the body ended
     * ({@link #done()}; the rest is the next request) or failed.
     */
    int feed(byte[] a, int off, int len, Sink sink) {
        int p = off;
        int end = off + len;
        while (p < end && state != State.DONE && state != State.ERROR) {
            switch (state) {
                case DATA -> {
                    int n = (int) Math.min(remaining, end - p);
                    sink.data(a, p, n);
                    p += n;
                    remaining -= n;
                    total += n;
                    if (remaining == 0) {
                        state = State.DATA_CRLF;
                    }
                }
                case DATA_CRLF -> {
                    if (end - p < 2) {
                        return p - off;
                    }
                    if (a[p] != '\r' || a[p + 1] != '\n') {
                        return fail(p - off, "chunk data not followed by CRLF");
                    }
                    p += 2;
                    state = State.SIZE;
                }
                case SIZE, TRAILER -> {
                    int eol = lineEnd(a, p, end);
                    if (eol < 0) {
                        if (end - p >= MAX_LINE) {
                            return fail(p - off, "line too long");
                        }
                        return p - off;
                    }
                    if (eol - p > MAX_LINE) {
                        return fail(p - off, "line too long");
                    }
                    if (state == State.SIZE) {
                        if (!sizeLine(a, p, eol)) {
                            return fail(p - off, "bad chunk size");
                        }
                    } else {
                        trailerBytes += eol - p + 2;
                        if (trailerBytes > 4 * MAX_LINE) {
                            return fail(p - off, "trailer section too large");
                        }
                        if (eol == p) {
                            state = State.DONE; // the empty line that ends the trailer section
                        }
                    }
                    p = eol + 2;
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return p - off;
    }

    private int fail(int consumed, String why) {
        state = State.ERROR;
        error = why;
        return consumed;
    }

    /** Index of the CR of the first CRLF in [p, end), or -1 (a bare LF in a size line is refused by {@link #sizeLine}). */
    static int lineEnd(byte[] a, int p, int end) {
        for (int i = p; i + 1 < end; i++) {
            if (a[i] == '\r' && a[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** chunk-size [ chunk-ext ]: sets the state for the data or the trailer. */
    private boolean sizeLine(byte[] a, int p, int eol) {
        long size = 0;
        int digits = 0;
        int i = p;
        for (; i < eol; i++) {
            int d = Character.digit(a[i], 16);
            if (d < 0 || a[i] < 0) {
                break;
            }
            if (++digits > 15) {
                return false; // would overflow a long's worth of bytes: nobody sends 2^60
            }
            size = size << 4 | d;
        }
        if (digits == 0) {
            return false;
        }
        // the rest may only be an extension: BWS ";" ... (RFC 9112 §7.1.1); no CR or LF inside
        while (i < eol && (a[i] == ' ' || a[i] == '\t')) {
            i++;
        }
        if (i < eol && a[i] != ';') {
            return false;
        }
        for (; i < eol; i++) {
            if (a[i] == '\n' || a[i] == '\r') {
                return false;
            }
        }
        if (size == 0) {
            state = State.TRAILER;
        } else {
            remaining = size;
            state = State.DATA;
        }
        return true;
    }
}
