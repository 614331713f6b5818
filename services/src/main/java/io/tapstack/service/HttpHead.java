package io.tapstack.service;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A request head (RFC 9112 §2.1, §3, §5) read where it lies in the connection's byte buffer:
 * the request line's three parts and the four fields the server acts on ({@code Connection},
 * {@code Expect}, {@code Transfer-Encoding}, {@code Content-Length}) are kept as offsets, so a
 * request makes no {@code String} per line or field (issue 11). One parser per service, reused
 * for every request on its loop thread. It reads the buffer on every call: ask what you need
 * before the buffer changes.
 *
 * <p>It reads the head as the server always has: lines end at CRLF; the request line splits at
 * single spaces (trailing spaces ignored) into exactly three parts, the last starting with
 * {@code HTTP/1.}; a field line's name (before its first colon, trimmed) is matched without
 * regard to ASCII case, its value trimmed of spaces and controls; the last of a repeated field
 * counts. Field names are ASCII, so an ASCII case-insensitive match over ISO-8859-1 bytes is
 * what lower-casing the decoded strings did.
 */
final class HttpHead {
    private byte[] a;
    private int methodStart;
    private int methodEnd;
    private int targetStart;
    private int targetEnd;
    private boolean http10;
    private int connStart = -1;
    private int connEnd;
    private int expectStart = -1;
    private int expectEnd;
    private int teStart = -1;
    private int teEnd;
    private long contentLength;

    /**
     * Reads the head in {@code a[0, end)} ({@code end} just past its CRLF CRLF). False when the
     * request line is not three parts ending in an HTTP/1.x version (RFC 9112 §3: 400).
     */
    boolean parse(byte[] a, int end) {
        this.a = a;
        methodEnd = 0; // a failed parse leaves an empty request line and no fields
        targetStart = 0;
        targetEnd = 0;
        http10 = false;
        connStart = -1;
        expectStart = -1;
        teStart = -1;
        contentLength = -1;
        int lineEnd = ChunkedDecoder.lineEnd(a, 0, end);
        if (lineEnd < 0) {
            lineEnd = end;
        }
        if (!requestLine(lineEnd)) {
            return false;
        }
        for (int from = lineEnd + 2; from < end; ) {
            int e = ChunkedDecoder.lineEnd(a, from, end);
            if (e < 0) {
                e = end;
            }
            field(from, e);
            from = e + 2;
        }
        return true;
    }

    private boolean requestLine(int lineEnd) {
        int e = lineEnd;
        while (e > 0 && a[e - 1] == ' ') {
            e--; // as String.split(" ") drops trailing empty parts
        }
        int s1 = -1;
        int s2 = -1;
        for (int i = 0; i < e; i++) {
            if (a[i] == ' ') {
                if (s1 < 0) {
                    s1 = i;
                } else if (s2 < 0) {
                    s2 = i;
                } else {
                    return false; // more than three parts
                }
            }
        }
        if (s2 < 0) {
            return false;
        }
        methodStart = 0;
        methodEnd = s1;
        targetStart = s1 + 1;
        targetEnd = s2;
        int v = s2 + 1;
        if (!startsWith(v, e, "HTTP/1.")) {
            return false;
        }
        http10 = equalsIgnoreCase(v, e, "HTTP/1.0", false);
        return true;
    }

    private void field(int from, int to) {
        int colon = -1;
        for (int i = from; i < to; i++) {
            if (a[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= from) {
            return; // no name: ignored, as before
        }
        int ns = trimStart(from, colon);
        int ne = trimEnd(ns, colon);
        int vs = trimStart(colon + 1, to);
        int ve = trimEnd(vs, to);
        if (equalsIgnoreCase(ns, ne, "connection", true)) {
            connStart = vs;
            connEnd = ve;
        } else if (equalsIgnoreCase(ns, ne, "expect", true)) {
            expectStart = vs;
            expectEnd = ve;
        } else if (equalsIgnoreCase(ns, ne, "transfer-encoding", true)) {
            teStart = vs;
            teEnd = ve;
        } else if (equalsIgnoreCase(ns, ne, "content-length", true)) {
            contentLength = parseLength(vs, ve);
        }
    }

    /** RFC 9110 §8.6: digits; -2 for anything else (as Long.parseLong failing did). */
    private long parseLength(int from, int to) {
        int n = to - from;
        if (n > 0 && n <= 18) {
            long v = 0;
            int i = from;
            for (; i < to && a[i] >= '0' && a[i] <= '9'; i++) {
                v = v * 10 + (a[i] - '0');
            }
            if (i == to) {
                return v;
            }
        }
        try {
            return Long.parseLong(new String(a, from, n, StandardCharsets.ISO_8859_1)); // a sign, or 19 digits: rare
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    boolean methodIs(String m) {
        return equalsIgnoreCase(methodStart, methodEnd, m, false);
    }

    boolean http10() {
        return http10;
    }

    /** The request target as ISO-8859-1 text (made on demand). */
    String target() {
        return new String(a, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
    }

    int targetStart() {
        return targetStart;
    }

    /** End of the target's path: before a '?' if there is one. */
    int pathEnd() {
        for (int i = targetStart; i < targetEnd; i++) {
            if (a[i] == '?') {
                return i;
            }
        }
        return targetEnd;
    }

    /** True when the Connection field's value contains {@code token} (ASCII case-insensitive); false without one. */
    boolean connectionContains(String token) {
        if (connStart < 0) {
            return false;
        }
        for (int i = connStart; i + token.length() <= connEnd; i++) {
            if (equalsIgnoreCase(i, i + token.length(), token, true)) {
                return true;
            }
        }
        return false;
    }

    /** True when the Expect field's value is {@code v} (ASCII case-insensitive). */
    boolean expectIs(String v) {
        return expectStart >= 0 && equalsIgnoreCase(expectStart, expectEnd, v, true);
    }

    /** The Transfer-Encoding value lower-cased, "" without one (a String only when a request has one). */
    String transferEncoding() {
        return teStart < 0 || teEnd == teStart ? ""
                : new String(a, teStart, teEnd - teStart, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    }

    /** The Content-Length, -1 without one, -2 when it is not a number. */
    long contentLength() {
        return contentLength;
    }

    /** As String.trim: characters up to U+0020 go. */
    private int trimStart(int from, int to) {
        while (from < to && (a[from] & 0xff) <= ' ') {
            from++;
        }
        return from;
    }

    private int trimEnd(int from, int to) {
        while (to > from && (a[to - 1] & 0xff) <= ' ') {
            to--;
        }
        return to;
    }

    private boolean startsWith(int from, int to, String s) {
        return to - from >= s.length() && equalsIgnoreCase(from, from + s.length(), s, false);
    }

    /** {@code a[from, to)} equals the ASCII string {@code s}, ignoring ASCII case when {@code ignoreCase}. */
    private boolean equalsIgnoreCase(int from, int to, String s, boolean ignoreCase) {
        if (to - from != s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            int b = a[from + i] & 0xff;
            int c = s.charAt(i);
            if (ignoreCase) {
                b = b >= 'A' && b <= 'Z' ? b + 32 : b;
                c = c >= 'A' && c <= 'Z' ? c + 32 : c;
            }
            if (b != c) {
                return false;
            }
        }
        return true;
    }
}
