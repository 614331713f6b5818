package io.tapstack.service;

import io.tapstack.blocking.TapDns;
import io.tapstack.blocking.TapSocket;
import io.tapstack.EventLoop;
import io.tapstack.wire.IpAddr;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over the stack (RFC 9112): {@code GET http://addr[:port]/path},
 * body to an {@link OutputStream} (Content-Length, chunked, or until close). The host must be
 * an IP literal (IPv6 in brackets): this stack has no resolver.
 */
public final class HttpGet {
    /** Status line and headers (names lower-cased) of a response. */
    public record Response(int status, String reason, Map<String, String> headers, long bodyBytes) {
    }

    private HttpGet() {
    }

    /** Fetches {@code url}; {@code timeoutMillis} bounds the connect and each read (0 = none). */
    public static Response get(EventLoop loop, String url, OutputStream body, int timeoutMillis) throws IOException {
        if (!url.startsWith("http://")) {
            throw new IllegalArgumentException("only http:// URLs are supported: " + url);
        }
        String rest = url.substring("http://".length());
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "/" : rest.substring(slash);
        String host;
        int port = 80;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("bad IPv6 literal in " + url);
            }
            host = authority.substring(1, close);
            if (authority.length() > close + 1 && authority.charAt(close + 1) == ':') {
                port = Integer.parseInt(authority.substring(close + 2));
            }
        } else {
            int colon = authority.lastIndexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            if (colon >= 0) {
                port = Integer.parseInt(authority.substring(colon + 1));
            }
        }
        // a name goes through the stack's DNS resolver; the first address that connects wins
        List<IpAddr> addrs = TapDns.resolve(loop, host, timeoutMillis);
        TapSocket sock = null;
        IOException failed = null;
        for (IpAddr addr : addrs) {
            try {
                sock = TapSocket.connect(loop, addr, port, null, timeoutMillis);
                break;
            } catch (IOException e) {
                failed = e;
            }
        }
        if (sock == null) {
            throw failed;
        }
        try (TapSocket s = sock) {
            s.setSoTimeout(timeoutMillis);
            String req = "GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nUser-Agent: tapstack\r\n"
                    + "Accept: */*\r\nConnection: close\r\n\r\n";
            s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 65536);
            String status = line(in);
            String[] sl = status.split(" ", 3);
            if (sl.length < 2 || !sl[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + status);
            }
            int code = Integer.parseInt(sl[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int c = h.indexOf(':');
                if (c > 0) {
                    headers.put(h.substring(0, c).trim().toLowerCase(Locale.ROOT), h.substring(c + 1).trim());
                }
            }
            long n;
            String te = headers.getOrDefault("transfer-encoding", "");
            if (te.toLowerCase(Locale.ROOT).contains("chunked")) {
                n = 0;
                while (true) {
                    String sz = line(in);
                    int semi = sz.indexOf(';');
                    long len = Long.parseLong((semi < 0 ? sz : sz.substring(0, semi)).trim(), 16);
                    if (len == 0) {
                        while (!line(in).isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    n += copy(in, body, len);
                    line(in);
                }
            } else if (headers.containsKey("content-length")) {
                n = copy(in, body, Long.parseLong(headers.get("content-length")));
            } else {
                n = copy(in, body, Long.MAX_VALUE);
            }
            return new Response(code, sl.length > 2 ? sl[2] : "", headers, n);
        }
    }

    private static long copy(InputStream in, OutputStream out, long max) throws IOException {
        byte[] buf = new byte[65536];
        long total = 0;
        while (total < max) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, max - total));
            if (n < 0) {
                if (max != Long.MAX_VALUE) {
                    throw new IOException("connection closed after " + total + " of " + max + " bytes");
                }
                break;
            }
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (b.size() > 65536) {
                throw new IOException("header line too long");
            }
            b.write(c);
        }
        if (c < 0 && b.size() == 0) {
            throw new IOException("connection closed before the response ended");
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }
}
