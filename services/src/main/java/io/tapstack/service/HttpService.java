package io.tapstack.service;

import io.tapstack.EventLoop;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpSocketOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A small HTTP/1.1 server (RFC 9112) on the loop, using the non-blocking socket API: keep-alive
 * and pipelining, {@code GET}/{@code HEAD} of files under a root (Content-Length, Content-Type by
 * extension, 404, 405, no escape from the root, files streamed in 32 KiB chunks as the send
 * buffer drains), a generated index page without a root, and {@code POST /upload} answered
 * with the body's length and SHA-256 (hex); the body comes with a Content-Length or in the
 * chunked transfer coding (RFC 9112 §7.1, {@link ChunkedDecoder}).
 *
 * <p>This class is the service: its port, root and what all its connections share, all touched on
 * the loop thread only: the pools that make a connection cost no allocation once warm (exchanges
 * and request buffers of closed connections), the request-head parser, the scratch buffer where
 * responses are built, and the small-file cache. One connection is an {@link HttpExchange}; the
 * files it serves come from {@link HttpFiles}; responses go out through {@link HttpResponseWriter}.
 */
public final class HttpService extends LoopService {
    public static final int PORT = 80;
    static final int MAX_HEAD = 16 * 1024;
    static final int MAX_IDLE_EXCHANGES = 1024;
    /** Request buffers kept for reuse: an idle keep-alive connection holds none (issue 11). */
    static final int MAX_IDLE_BUFFERS = 256;

    /** Small files by path and by request path (loop thread only; bounded). */
    final HttpFiles files = new HttpFiles();
    /** The request-head parser, reused for every request (loop thread only). */
    final HttpHead head = new HttpHead();
    /**
     * Where a response head (and a small body) is built, shared by all connections: what the send
     * buffer does not take at once is copied out to the connection ({@link HttpResponseWriter#writeOut}).
     */
    final ByteBuffer scratch = ByteBuffer.allocate(HttpFiles.SMALL_FILE + 1024);
    /** Exchanges of closed connections, reset for the next (loop thread only; bounded). */
    final java.util.ArrayDeque<HttpExchange> idleExchanges = new java.util.ArrayDeque<>();
    /** Free request buffers; touched only on the loop thread that runs this service. */
    final java.util.ArrayDeque<ByteBuffer> idleBuffers = new java.util.ArrayDeque<>();
    /** Request buffers held by connections now (loop thread only). */
    int buffersHeld;
    /** A request's path bytes while its head is handled (loop thread only). */
    final byte[] pathBytes = new byte[MAX_HEAD];

    final Path root;
    long requests;


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

    @Override
    protected TcpSocketOptions listenOptions() {
        // responses are written whole; like Netty's TCP_NODELAY, do not hold the last segment back
        // (set on the listener, inherited by every connection: no per-connection copy of the options)
        return new TcpSocketOptions().noDelay(true);
    }

    @Override
    protected TcpHandler newHandler(TcpConnection c) {
        HttpExchange x = idleExchanges.pollFirst();
        if (x == null) {
            x = new HttpExchange(this);
        }
        x.conn = c;
        return x;
    }

    /** The generated index page (without a root). */
    byte[] indexPage() {
        String html = "<!doctype html>\n<html><head><title>tapstack</title></head><body>\n"
                + "<h1>tapstack</h1>\n<p>A userspace TCP/IP stack in Java answered this request.</p>\n"
                + "<p>Requests served: " + requests + "</p>\n"
                + "<p>Try <code>curl -T file http://&lt;addr&gt;/upload</code> to get a SHA-256 back.</p>\n"
                + "</body></html>\n";
        return html.getBytes(StandardCharsets.UTF_8);
    }
}
