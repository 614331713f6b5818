package io.tapstack.service;

import io.tapstack.EventLoop;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpSocketOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * A small HTTP/1.1 server (RFC 9112) on the loop, using the non-blocking socket API: keep-alive
 * and pipelining, {@code GET}/{@code HEAD} of files under a root (Content-Length, Content-Type by
 * extension, 404, 405, no escape from the root, files streamed in 32 KiB chunks as the send
 * buffer drains), a generated index page without a root, and {@code POST /upload} answered
 * with the body's length and SHA-256 (hex); the body comes with a Content-Length or in the
 * chunked transfer coding (RFC 9112 §7.1, {@link ChunkedDecoder}).
 */
public final class HttpService extends LoopService {
    private static final int SMALL_FILE = 16 * 1024;
    private static final int CACHE_ENTRIES = 256;

    private record Cached(byte[] bytes, long size, long mtime, String type, long validUntil, byte[] key) {
    }

    /** Small files by path (loop thread only; bounded to 256 × 16 KiB). */
    private final java.util.Map<Path, Cached> cache = new java.util.HashMap<>();
    /**
     * Small files by request path (its bytes, for paths without a '%'), trusted for a second after
     * they were checked: direct-mapped by a hash of the path, so a hit needs no String (loop thread only).
     */
    private final Cached[] byTarget = new Cached[CACHE_ENTRIES];
    /** The request-head parser, reused for every request (loop thread only). */
    private final HttpHead head = new HttpHead();
    /**
     * Where a response head (and a small body) is built, shared by all connections: what the send
     * buffer does not take at once is copied out to the connection ({@link Exchange#writeOut}).
     */
    private final ByteBuffer scratch = ByteBuffer.allocate(SMALL_FILE + 1024);
    /** Exchanges of closed connections, reset for the next (loop thread only; bounded). */
    private final java.util.ArrayDeque<Exchange> idleExchanges = new java.util.ArrayDeque<>();

    public static final int PORT = 80;
    private static final int MAX_HEAD = 16 * 1024;
    /** Request buffers kept for reuse: an idle keep-alive connection holds none (issue 11). */
    private static final int MAX_IDLE_BUFFERS = 256;
    /** Free request buffers; touched only on the loop thread that runs this service. */
    private final java.util.ArrayDeque<ByteBuffer> idleBuffers = new java.util.ArrayDeque<>();
    /** Request buffers held by connections now (loop thread only). */
    private int buffersHeld;
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("json", "application/json"),
            Map.entry("xml", "application/xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("svg", "image/svg+xml"),
            Map.entry("ico", "image/x-icon"), Map.entry("pdf", "application/pdf"), Map.entry("wasm", "application/wasm"),
            Map.entry("mp4", "video/mp4"), Map.entry("zip", "application/zip"), Map.entry("gz", "application/gzip"),
            Map.entry("tar", "application/x-tar"));

    private final Path root;
    private long requests;

    HttpService(EventLoop loop, int port, Path root) {
        this(loop, loop.stack(), port, root);
    }

    private HttpService(EventLoop loop, io.tapstack.NetStack stack, int port, Path root) {
        super(loop, stack, port);
        Path r = null;
        if (root != null) {
            try {
                r = root.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("http root " + root + ": " + e.getMessage(), e);
            }
        }
        this.root = r;
    }

    /** Starts the service on a stack driven by the caller (on its loop thread, or a test). */
    public static Service startOn(io.tapstack.NetStack stack, int port, Path root) throws Exception {
        return new HttpService(null, stack, port, root).start();
    }

    /** How many connections hold a request buffer now (call on the loop thread): those with unread request bytes. */
    int requestBuffersHeld() {
        return buffersHeld;
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public String describe() {
        return "http tcp/" + port + (root != null ? " root=" + root : " (generated index)");
    }

    static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    @Override
    protected TcpSocketOptions listenOptions() {
        // responses are written whole; like Netty's TCP_NODELAY, do not hold the last segment back
        // (set on the listener, inherited by every connection: no per-connection copy of the options)
        return new TcpSocketOptions().noDelay(true);
    }

    @Override
    protected TcpHandler newHandler(TcpConnection c) {
        Exchange x = idleExchanges.pollFirst();
        if (x == null) {
            x = new Exchange();
        }
        x.conn = c;
        return x;
    }

    /**
     * One connection: request head → (body) → response, repeated while kept alive. Reused for a
     * later connection once this one closed ({@link #idleExchanges}); events for any connection
     * but the one it serves now are ignored, so a late event of the old one cannot touch the new.
     */
    private final class Exchange implements LoopService.Counted {
        /** The connection served now; null while idle in the pool. */
        private TcpConnection conn;
        /** The request bytes read and not yet used; taken from {@link #idleBuffers} while there are any. */
        private ByteBuffer in;
        private boolean inBody;
        private long bodyRemaining;
        private long bodyLength;
        private MessageDigest digest;
        /** Set while a chunked request body is read (RFC 9112 §7.1). */
        private ChunkedDecoder chunked;
        private boolean responding;
        private ByteBuffer out;
        private FileChannel file;
        private long fileRemaining;
        private ByteBuffer chunk;
        private boolean closeAfter;
        private boolean done;

        @Override
        public void onReadable(TcpConnection c) {
            if (c == conn) {
                pump(c);
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (c == conn) {
                pump(c);
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            if (c != conn) {
                return;
            }
            connectionClosed();
            done = true;
            closeFile();
            releaseInput();
            recycle();
        }

        /** Back to the state of a new Exchange, into the pool (what it held is released above). */
        private void recycle() {
            conn = null;
            inBody = false;
            bodyRemaining = 0;
            bodyLength = 0;
            digest = null;
            chunked = null;
            responding = false;
            out = null;
            fileRemaining = 0;
            closeAfter = false;
            done = false;
            keepAliveHeader = false;
            allow = null;
            chunk = null; // a file's 32 KiB chunk buffer is not kept in the pool
            if (idleExchanges.size() < MAX_IDLE_EXCHANGES) {
                idleExchanges.addFirst(this);
            }
        }

        private void pump(TcpConnection c) {
            if (in == null) {
                ByteBuffer b = idleBuffers.pollFirst();
                in = b != null ? b : ByteBuffer.allocate(MAX_HEAD);
                buffersHeld++;
            }
            try {
                pumpWithBuffer(c);
            } finally {
                if (in != null && (done || in.position() == 0)) {
                    releaseInput(); // nothing buffered: an idle connection keeps no 16 KiB buffer
                }
            }
        }

        private void releaseInput() {
            if (in != null) {
                in.clear();
                if (idleBuffers.size() < MAX_IDLE_BUFFERS) {
                    idleBuffers.addFirst(in);
                }
                in = null;
                buffersHeld--;
            }
        }

        private void pumpWithBuffer(TcpConnection c) {
            try {
                for (int guard = 0; guard < 10_000 && !done; guard++) {
                    if (responding) {
                        if (!writeOut(c)) {
                            return;
                        }
                        responding = false;
                        if (inBody) {
                            continue; // "100 Continue" went out; now the body
                        }
                        closeFile();
                        if (closeAfter) {
                            done = true;
                            c.close();
                            return;
                        }
                        continue;
                    }
                    if (inBody && chunked != null) {
                        int used = chunked.feed(in.array(), 0, in.position(), digest::update);
                        if (used > 0) {
                            in.flip();
                            in.position(used);
                            in.compact();
                        }
                        if (chunked.failed() || chunked.done()) {
                            inBody = false;
                            ChunkedDecoder d = chunked;
                            chunked = null;
                            if (d.failed()) {
                                closeAfter = true;
                                respond(400, "Bad Request", "text/plain",
                                        ("bad chunked body: " + d.error() + "\n").getBytes(StandardCharsets.US_ASCII), false);
                            } else {
                                String hex = HexFormat.of().formatHex(digest.digest());
                                respond(200, "OK", "text/plain; charset=utf-8", (d.total() + " " + hex + "\n").getBytes(StandardCharsets.US_ASCII), false);
                            }
                            continue;
                        }
                        if (!readMore(c)) {
                            return;
                        }
                        continue;
                    }
                    if (inBody) {
                        int avail = in.position();
                        int take = (int) Math.min(avail, bodyRemaining);
                        if (take > 0) {
                            digest.update(in.array(), 0, take);
                            in.flip();
                            in.position(take);
                            in.compact();
                            bodyRemaining -= take;
                        }
                        if (bodyRemaining == 0) {
                            inBody = false;
                            String hex = HexFormat.of().formatHex(digest.digest());
                            respond(200, "OK", "text/plain; charset=utf-8", (bodyLength + " " + hex + "\n").getBytes(StandardCharsets.US_ASCII), false);
                            continue;
                        }
                        if (!readMore(c)) {
                            return;
                        }
                        continue;
                    }
                    int end = headEnd();
                    if (end >= 0) {
                        handleHead(c, end);
                        continue;
                    }
                    if (!in.hasRemaining()) {
                        closeAfter = true;
                        respond(431, "Request Header Fields Too Large", "text/plain", "header too large\n".getBytes(StandardCharsets.US_ASCII), false);
                        continue;
                    }
                    if (!readMore(c)) {
                        return;
                    }
                }
            } catch (TcpException e) {
                done = true;
                out = null;
                closeFile();
                c.abort();
            } catch (IOException | RuntimeException e) {
                done = true;
                out = null;
                closeFile();
                c.abort();
            }
        }

        /** Reads into the input buffer; false when nothing more is there for now (or EOF handled). */
        private boolean readMore(TcpConnection c) throws TcpException {
            int n = c.read(in);
            if (n < 0) {
                done = true;
                c.close();
                return false;
            }
            return n > 0;
        }

        private int headEnd() {
            byte[] a = in.array();
            for (int i = 3; i < in.position(); i++) {
                if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                    return i + 1;
                }
            }
            return -1;
        }

        private void handleHead(TcpConnection c, int end) throws IOException {
            requests++;
            // RFC 9112 §2–§5, read in place (HttpHead): no String per line or field
            HttpHead h = head;
            boolean wellFormed = h.parse(in.array(), end);
            // the path's bytes, kept for the small-file lookup below: the buffer is compacted now
            int pathLen = 0;
            boolean plainPath = false;
            if (wellFormed) {
                pathLen = h.pathEnd() - h.targetStart();
                System.arraycopy(in.array(), h.targetStart(), pathBytes, 0, pathLen);
                plainPath = plain(pathBytes, pathLen);
            }
            // everything read from the head before the buffer is compacted (HttpHead reads it in place)
            String te = wellFormed ? h.transferEncoding() : "";
            boolean http10 = wellFormed && h.http10();
            // RFC 9112 §9.3: persistent by default in 1.1, opt-in in 1.0
            boolean close = http10 ? !h.connectionContains("keep-alive") : h.connectionContains("close");
            long contentLength = h.contentLength();
            boolean expectContinue = h.expectIs("100-continue");
            boolean get = h.methodIs("GET");
            boolean head0 = h.methodIs("HEAD");
            boolean post = h.methodIs("POST");
            in.flip();
            in.position(end);
            in.compact();
            if (!wellFormed) {
                closeAfter = true;
                respond(400, "Bad Request", "text/plain", BAD_REQUEST, false);
                return;
            }
            closeAfter = close;
            keepAliveHeader = http10 && !closeAfter;
            boolean hasBody = contentLength > 0 || !te.isEmpty();
            if (contentLength == -2 || contentLength < -1) {
                closeAfter = true;
                respond(400, "Bad Request", "text/plain", "bad content-length\n".getBytes(StandardCharsets.US_ASCII), false);
                return;
            }
            if (post && pathIs(pathLen, "/upload")) {
                if (!te.isEmpty()) {
                    // RFC 9112 §6.1: chunked must be the final transfer coding of a request; it is the only one we know
                    String[] codings = te.split(",");
                    if (!codings[codings.length - 1].strip().equals("chunked")) {
                        closeAfter = true;
                        respond(400, "Bad Request", "text/plain", "chunked must be the last transfer coding\n".getBytes(StandardCharsets.US_ASCII), false);
                        return;
                    }
                    if (codings.length > 1) {
                        // RFC 9112 §6.1: a transfer coding the server does not understand → 501
                        closeAfter = true;
                        respond(501, "Not Implemented", "text/plain", "only the chunked transfer coding is supported\n".getBytes(StandardCharsets.US_ASCII), false);
                        return;
                    }
                    if (contentLength >= 0) {
                        // RFC 9112 §6.3 (3): Transfer-Encoding overrides Content-Length; the pair may be an attempt at
                        // request smuggling, so the connection closes after the answer
                        closeAfter = true;
                    }
                    digest = sha256();
                    chunked = new ChunkedDecoder();
                    inBody = true;
                    if (expectContinue) {
                        // RFC 9110 §10.1.1 (as for a Content-Length body): the client may wait for this
                        out = ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        c.write(out);
                        if (out.hasRemaining()) {
                            responding = true;
                        }
                    }
                    return;
                }
                digest = sha256();
                bodyLength = Math.max(0, contentLength);
                bodyRemaining = bodyLength;
                inBody = true;
                if (expectContinue && bodyRemaining > in.position()) {
                    // RFC 9110 §10.1.1: let the client send the body
                    out = ByteBuffer.wrap("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    c.write(out);
                    if (out.hasRemaining()) {
                        responding = true; // flush it first; the body phase follows
                    }
                }
                return;
            }
            if (hasBody) {
                closeAfter = true; // we do not read bodies we do not want
            }
            if (!get && !head0) {
                allow = post ? "GET, HEAD" : "GET, HEAD, POST";
                respond(405, "Method Not Allowed", "text/plain", "method not allowed\n".getBytes(StandardCharsets.US_ASCII), false);
                return;
            }
            // A small file answered within the last second is answered again without touching
            // the file system (like nginx's open_file_cache_valid): no stat, no open, no String.
            long now = stack.now();
            int slot = plainPath ? hash(pathBytes, pathLen) & (CACHE_ENTRIES - 1) : -1;
            Cached hot = slot >= 0 ? byTarget[slot] : null;
            if (root != null && hot != null && now < hot.validUntil
                    && Arrays.equals(hot.key, 0, hot.key.length, pathBytes, 0, pathLen)) {
                respond(200, "OK", hot.type, hot.bytes, head0);
                return;
            }
            String decoded = percentDecode(new String(pathBytes, 0, pathLen, StandardCharsets.ISO_8859_1));
            if (decoded == null || !decoded.startsWith("/")) {
                respond(400, "Bad Request", "text/plain", "bad path\n".getBytes(StandardCharsets.US_ASCII), head0);
                return;
            }
            if (root == null) {
                if (decoded.equals("/") || decoded.equals("/index.html")) {
                    respond(200, "OK", "text/html; charset=utf-8", indexPage(), head0);
                } else {
                    notFound(head0);
                }
                return;
            }
            Path p = root.resolve(decoded.substring(1)).normalize();
            if (!p.startsWith(root)) {
                notFound(head0);
                return;
            }
            try {
                if (Files.isDirectory(p)) {
                    Path idx = p.resolve("index.html");
                    if (Files.isRegularFile(idx)) {
                        p = idx;
                    } else {
                        respond(200, "OK", "text/html; charset=utf-8", listing(p, decoded), head0);
                        return;
                    }
                }
                if (!Files.isRegularFile(p) || !p.toRealPath().startsWith(root)) {
                    notFound(head0);
                    return;
                }
                byte[] small = smallFile(p);
                if (small != null) {
                    String type = contentType(p.getFileName().toString());
                    if (slot >= 0) {
                        byTarget[slot] = new Cached(small, small.length, 0, type, now + 1_000_000_000L,
                                Arrays.copyOf(pathBytes, pathLen));
                    }
                    // one write for header and body: no Nagle/delayed-ACK stall between them
                    respond(200, "OK", type, small, head0);
                    return;
                }
                FileChannel fc = FileChannel.open(p, StandardOpenOption.READ);
                long size = fc.size();
                respondHeader(200, "OK", contentType(p.getFileName().toString()), size);
                if (head0) {
                    fc.close();
                } else {
                    file = fc;
                    fileRemaining = size;
                }
                responding = true;
            } catch (IOException | SecurityException e) {
                notFound(head0);
            }
        }

        /** The bytes of a file of at most 16 KiB, from a small cache checked against size and mtime. */
        private byte[] smallFile(Path p) throws IOException {
            java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
            if (a.size() > SMALL_FILE) {
                return null;
            }
            long mtime = a.lastModifiedTime().toMillis();
            Cached c = cache.get(p);
            if (c != null && c.size == a.size() && c.mtime == mtime) {
                return c.bytes;
            }
            byte[] b = Files.readAllBytes(p);
            if (b.length > SMALL_FILE) {
                return null;
            }
            if (cache.size() >= CACHE_ENTRIES) {
                cache.clear();
            }
            cache.put(p, new Cached(b, b.length, mtime, null, 0, null));
            return b;
        }

        private boolean keepAliveHeader;
        private String allow;

        private void notFound(boolean head) {
            respond(404, "Not Found", "text/plain", "not found\n".getBytes(StandardCharsets.US_ASCII), head);
        }

        private void respond(int status, String reason, String type, byte[] body, boolean headOnly) {
            respondHeader(status, reason, type, body.length);
            if (!headOnly && body.length > 0) {
                if (out.limit() + body.length <= out.capacity()) {
                    int at = out.limit();
                    out.limit(at + body.length);
                    out.put(at, body); // header and body in one write: no Nagle/delayed-ACK stall between them
                } else {
                    ByteBuffer both = ByteBuffer.allocate(out.remaining() + body.length);
                    both.put(out).put(body).flip();
                    out = both;
                }
            }
            responding = true;
        }

        /** The response head (RFC 9112 §4, §6) into the service's scratch buffer: {@link #writeOut} sends it next. */
        private void respondHeader(int status, String reason, String type, long length) {
            ByteBuffer h = scratch.clear();
            ascii(h, "HTTP/1.1 ");
            decimal(h, status);
            h.put((byte) ' ');
            ascii(h, reason);
            ascii(h, "\r\nServer: tapstack\r\nContent-Type: ");
            ascii(h, type);
            ascii(h, "\r\nContent-Length: ");
            decimal(h, length);
            ascii(h, "\r\n");
            if (allow != null) {
                ascii(h, "Allow: ");
                ascii(h, allow);
                ascii(h, "\r\n");
                allow = null;
            }
            if (closeAfter) {
                ascii(h, "Connection: close\r\n");
            } else if (keepAliveHeader) {
                ascii(h, "Connection: keep-alive\r\n");
            }
            ascii(h, "\r\n");
            out = h.flip();
        }

        /** Writes the pending response; true when all of it is in the send buffer. */
        private boolean writeOut(TcpConnection c) throws IOException {
            while (true) {
                if (out != null && out.hasRemaining()) {
                    c.write(out);
                    if (out.hasRemaining()) {
                        if (out == scratch) {
                            // the send buffer is full: keep the rest here, the scratch buffer is for the next response
                            out = ByteBuffer.allocate(scratch.remaining()).put(scratch).flip();
                        }
                        return false;
                    }
                }
                if (file == null) {
                    return true;
                }
                if (chunk == null) {
                    chunk = ByteBuffer.allocate(32 * 1024);
                    chunk.limit(0);
                }
                if (!chunk.hasRemaining()) {
                    if (fileRemaining == 0) {
                        return true;
                    }
                    chunk.clear();
                    chunk.limit((int) Math.min(chunk.capacity(), fileRemaining));
                    int n = file.read(chunk);
                    if (n <= 0) {
                        throw new IOException("file shrank while sending");
                    }
                    fileRemaining -= n;
                    chunk.flip();
                }
                c.write(chunk);
                if (chunk.hasRemaining()) {
                    return false;
                }
            }
        }

        private void closeFile() {
            if (file != null) {
                try {
                    file.close();
                } catch (IOException e) {
                    // nothing to do
                }
                file = null;
            }
            if (chunk != null) {
                chunk.limit(0);
            }
        }
    }

    private static final byte[] BAD_REQUEST = "bad request\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_IDLE_EXCHANGES = 1024;
    /** A request's path bytes while its head is handled (loop thread only). */
    private final byte[] pathBytes = new byte[MAX_HEAD];

    /** A path served as it is (percentDecode leaves it unchanged): no '%' and no NUL. */
    private static boolean plain(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] == '%' || b[i] == 0) {
                return false;
            }
        }
        return true;
    }

    private boolean pathIs(int n, String s) {
        if (n != s.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (pathBytes[i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int hash(byte[] b, int n) {
        int h = 0;
        for (int i = 0; i < n; i++) {
            h = 31 * h + b[i];
        }
        return h ^ (h >>> 16);
    }

    /** An ASCII string's bytes (header text the server itself chose). */
    private static void ascii(ByteBuffer b, String s) {
        for (int i = 0; i < s.length(); i++) {
            b.put((byte) s.charAt(i));
        }
    }

    private static void decimal(ByteBuffer b, long v) {
        if (v < 0) {
            b.put((byte) '-');
            v = -v;
        }
        long div = 1;
        while (div <= v / 10) {
            div *= 10;
        }
        for (; div > 0; div /= 10) {
            b.put((byte) ('0' + (v / div) % 10));
        }
    }

    private byte[] indexPage() {
        String html = "<!doctype html>\n<html><head><title>tapstack</title></head><body>\n"
                + "<h1>tapstack</h1>\n<p>A userspace TCP/IP stack in Java answered this request.</p>\n"
                + "<p>Requests served: " + requests + "</p>\n"
                + "<p>Try <code>curl -T file http://&lt;addr&gt;/upload</code> to get a SHA-256 back.</p>\n"
                + "</body></html>\n";
        return html.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] listing(Path dir, String urlPath) throws IOException {
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
