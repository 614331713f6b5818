package io.tapstack.service;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@code GET} of the http service finds on disk: the request path percent-decoded
 * (RFC 3986 §2.1), the Content-Type by extension, a generated directory listing, and the cache of
 * file contents (files of at most {@value #CACHED_FILE} bytes, {@value #CACHE_BYTES} bytes in all):
 * by file path, checked against size and mtime, and by the request path's bytes (direct-mapped,
 * trusted for a second), so that a hit needs no String, no stat, no open and no read — the body is
 * copied once, from the cached array into the connection's send buffer. Larger files are streamed
 * from disk. Loop thread only; bounded to {@value #CACHE_ENTRIES} entries each.
 */
final class HttpFiles {
    /** A body this small goes out in the same write as the head (the scratch buffer's room). */
    static final int SMALL_FILE = 16 * 1024;
    /** Files up to this size are kept in memory once read. */
    static final int CACHED_FILE = 4 * 1024 * 1024;
    /** All cached contents together stay under this (the path cache starts again when it would not). */
    static final long CACHE_BYTES = 64L * 1024 * 1024;
    static final int CACHE_ENTRIES = 256;

    record Cached(byte[] bytes, long size, long mtime, String type, long validUntil, byte[] key) {
    }

    /** File contents by path (loop thread only; bounded to 256 entries and {@value #CACHE_BYTES} bytes). */
    private final java.util.Map<Path, Cached> cache = new java.util.HashMap<>();
    private long cachedBytes;
    /**
     * Cached files by request path (its bytes, for paths without a '%'), trusted for a second after
     * they were checked: direct-mapped by a hash of the path, so a hit needs no String (loop thread only).
     */
    final Cached[] byTarget = new Cached[CACHE_ENTRIES];

    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("json", "application/json"),
            Map.entry("xml", "application/xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("svg", "image/svg+xml"),
            Map.entry("ico", "image/x-icon"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"),
            Map.entry("mp4", "video/mp4"), Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("tar", "application/x-tar"));

    static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    /**
     * The bytes of a file of at most {@value #CACHED_FILE} bytes, from the cache checked against
     * size and mtime (read and cached on a miss); null for a larger file, which is streamed.
     */
    byte[] cachedFile(Path p) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
        if (a.size() > CACHED_FILE) {
            return null;
        }
        long mtime = a.lastModifiedTime().toMillis();
        Cached c = cache.get(p);
        if (c != null && c.size == a.size() && c.mtime == mtime) {
            return c.bytes;
        }
        byte[] b = Files.readAllBytes(p);
        if (b.length > CACHED_FILE) {
            return null;
        }
        // the by-target table only ever holds arrays the path cache holds, so that the two together
        // stay within CACHE_BYTES: what leaves the path cache leaves the by-target table too
        if (cache.size() >= CACHE_ENTRIES || cachedBytes + b.length > CACHE_BYTES) {
            cache.clear();
            java.util.Arrays.fill(byTarget, null);
            cachedBytes = 0;
        }
        Cached old = cache.put(p, new Cached(b, b.length, mtime, null, 0, null));
        if (old != null) {
            cachedBytes -= old.bytes.length;
            for (int i = 0; i < byTarget.length; i++) {
                if (byTarget[i] != null && byTarget[i].bytes == old.bytes) {
                    byTarget[i] = null;
                }
            }
        }
        cachedBytes += b.length;
        return b;
    }

    /** The bytes both tables hold, each array once (what the cache costs; at most {@value #CACHE_BYTES}). */
    long heldBytes() {
        java.util.Set<byte[]> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long n = 0;
        for (Cached c : cache.values()) {
            n += seen.add(c.bytes) ? c.bytes.length : 0;
        }
        for (Cached c : byTarget) {
            n += c != null && seen.add(c.bytes) ? c.bytes.length : 0;
        }
        return n;
    }

    /** A path served as it is (percentDecode leaves it unchanged): no '%' and no NUL. */
    static boolean plain(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == '%' || b[i] == 0) {
                return false;
            }
        }
        return true;
    }

    static int hash(byte[] b, int n) {
        int h = 0;
        for (int i = 0; i < n; i++) {
            h = 31 * h + b[i];
        }
        return h ^ (h >>> 16);
    }

    static byte[] listing(Path dir, String urlPath) throws IOException {
        StringBuilder sb = new StringBuilder("<!doctype html>\n<html><head><title>Index of ")
                .append(escape(urlPath)).append("</title></head><body>\n<h1>Index of ").append(escape(urlPath)).append("</h1>\n<ul>\n");
        String base = urlPath.endsWith("/") ? urlPath : urlPath + "/";
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                String n = p.getFileName().toString() + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : "");
                sb.append("<li><a href=\"").append(escape(base + n)).append("\">").append(escape(n)).append("</a></li>\n");
            }
        }
        sb.append("</ul></body></html>\n");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** RFC 3986 §2.1 percent-decoding; null for malformed input or a NUL. */
    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s.indexOf('\0') >= 0 ? null : s;
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                    return null;
                }
                b.write(hi * 16 + lo);
                i += 2;
            } else {
                b.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
