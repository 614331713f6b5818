package io.tapstack.service;

import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One connection of the {@link HttpService}: request head → (body) → response, repeated while kept
 * alive (RFC 9112 §9.3) and pipelined. The head is parsed in place ({@link HttpHead}); an upload's
 * body, with a Content-Length or chunked (RFC 9112 §7.1, {@link ChunkedDecoder}), is hashed as it
 * arrives; a {@code GET}/{@code HEAD} is answered from {@link HttpFiles}; the answer goes out
 * through {@link HttpResponseWriter}. Reused for a later connection once this one closed (the
 * service's pool); events for any connection but the one it serves now are ignored, so a late
 * event of the old one cannot touch the new.
 */
final class HttpExchange extends HttpResponseWriter implements LoopService.Counted {
    private static final byte[] BAD_REQUEST = "bad request\n".getBytes(StandardCharsets.US_ASCII);
    private final HttpService svc;
    /** The connection served now; null while idle in the pool. */
    TcpConnection conn;
    /** The request bytes read and not yet used; taken from {@link HttpService#idleBuffers} while there are any. */
    private ByteBuffer in;
    private boolean inBody;
    private long bodyRemaining;
    private long bodyLength;
    private MessageDigest digest;
    /** Set while a chunked request body is read (RFC 9112 §7.1). */
    private ChunkedDecoder chunked;
    private boolean done;

    HttpExchange(HttpService svc) {
        super(svc.scratch);
        this.svc = svc;
    }

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
        svc.connectionClosed();
        done = true;
        endBody();
        releaseInput();
        recycle();
    }

    /** Back to the state of a new exchange, into the service's pool (what it held is released above). */
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
        if (svc.idleExchanges.size() < HttpService.MAX_IDLE_EXCHANGES) {
            svc.idleExchanges.addFirst(this);
        }
    }

    private void pump(TcpConnection c) {
        if (in == null) {
            ByteBuffer b = svc.idleBuffers.pollFirst();
            in = b != null ? b : ByteBuffer.allocate(HttpService.MAX_HEAD);
            svc.buffersHeld++;
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
            if (svc.idleBuffers.size() < HttpService.MAX_IDLE_BUFFERS) {
                svc.idleBuffers.addFirst(in);
            }
            in = null;
            svc.buffersHeld--;
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
                    endBody();
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
            endBody();
            c.abort();
        } catch (IOException | RuntimeException e) {
            done = true;
            out = null;
            endBody();
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
        svc.requests++;
        // RFC 9112 §2–§5, read in place (HttpHead): no String per line or field
        HttpHead h = svc.head;
        boolean wellFormed = h.parse(in.array(), end);
        // the path's bytes, kept for the small-file lookup below: the buffer is compacted now
        int pathLen = 0;
        boolean plainPath = false;
        if (wellFormed) {
            pathLen = h.pathEnd() - h.targetStart();
            System.arraycopy(in.array(), h.targetStart(), svc.pathBytes, 0, pathLen);
            plainPath = HttpFiles.plain(svc.pathBytes, pathLen);
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
        // A cached file answered within the last second is answered again without touching
        // the file system (like nginx's open_file_cache_valid): no stat, no open, no String.
        long now = svc.stack.now();
        int slot = plainPath ? HttpFiles.hash(svc.pathBytes, pathLen) & (HttpFiles.CACHE_ENTRIES - 1) : -1;
        HttpFiles.Cached hot = slot >= 0 ? svc.files.byTarget[slot] : null;
        if (svc.root != null && hot != null && now < hot.validUntil()
                && Arrays.equals(hot.key(), 0, hot.key().length, svc.pathBytes, 0, pathLen)) {
            respond(200, "OK", hot.type(), hot.bytes(), head0);
            return;
        }
        String decoded = HttpFiles.percentDecode(new String(svc.pathBytes, 0, pathLen, StandardCharsets.ISO_8859_1));
        if (decoded == null || !decoded.startsWith("/")) {
            respond(400, "Bad Request", "text/plain", "bad path\n".getBytes(StandardCharsets.US_ASCII), head0);
            return;
        }
        if (svc.root == null) {
            if (decoded.equals("/") || decoded.equals("/index.html")) {
                respond(200, "OK", "text/html; charset=utf-8", svc.indexPage(), head0);
            } else {
                notFound(head0);
            }
            return;
        }
        Path p = svc.root.resolve(decoded.substring(1)).normalize();
        if (!p.startsWith(svc.root)) {
            notFound(head0);
            return;
        }
        try {
            if (Files.isDirectory(p)) {
                Path idx = p.resolve("index.html");
                if (Files.isRegularFile(idx)) {
                    p = idx;
                } else {
                    respond(200, "OK", "text/html; charset=utf-8", HttpFiles.listing(p, decoded), head0);
                    return;
                }
            }
            if (!Files.isRegularFile(p) || !p.toRealPath().startsWith(svc.root)) {
                notFound(head0);
                return;
            }
            byte[] cached = svc.files.cachedFile(p);
            if (cached != null) {
                String type = HttpFiles.contentType(p.getFileName().toString());
                if (slot >= 0) {
                    svc.files.byTarget[slot] = new HttpFiles.Cached(cached, cached.length, 0, type, now + 1_000_000_000L,
                            Arrays.copyOf(svc.pathBytes, pathLen));
                }
                // a small body leaves in one write with the head: no Nagle/delayed-ACK stall between them
                respond(200, "OK", type, cached, head0);
                return;
            }
            FileChannel fc = FileChannel.open(p, StandardOpenOption.READ);
            long size = fc.size();
            respondHeader(200, "OK", HttpFiles.contentType(p.getFileName().toString()), size);
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

    private boolean pathIs(int n, String s) {
        if (n != s.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (svc.pathBytes[i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
