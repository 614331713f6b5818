package io.tapstack.service;

import io.tapstack.tcp.TcpConnection;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * The sending half of an {@link HttpExchange}: builds a response head (RFC 9112 §4, §6: status
 * line, Server, Content-Type, Content-Length, Allow, Connection) into the service's one scratch
 * buffer, appends a small body to it so that head and body leave in one write, or sends a larger
 * body from its own array after it (a cached file: one copy, into the send buffer), or streams a
 * file after it in 32 KiB chunks as the send buffer drains. Only what the send buffer does not
 * take at once is copied out of the scratch buffer, for the connection to send as it drains.
 */
abstract class HttpResponseWriter {
    /** A response is being sent: {@link #writeOut} is called until it returns true. */
    boolean responding;
    /** What is sent before the file (head, small body); the service's scratch buffer or a copy of its rest. */
    ByteBuffer out;
    /** A large body sent from its own array after {@link #out} (from {@link #bodyAt}), or null. */
    byte[] body;
    int bodyAt;
    /** The file being streamed after {@link #out}, or null. */
    FileChannel file;
    long fileRemaining;
    /** The file's 32 KiB chunk buffer, allocated on the first file this exchange sends. */
    ByteBuffer chunk;
    /** Send "Connection: close" and close once the response is out. */
    boolean closeAfter;
    /** Send "Connection: keep-alive" (an HTTP/1.0 client that asked for it, RFC 9112 §9.3). */
    boolean keepAliveHeader;
    /** The Allow header of a 405, or null. */
    String allow;
    /** Where response heads are built, shared by all connections of the service (loop thread only). */
    private final ByteBuffer scratch;

    HttpResponseWriter(ByteBuffer scratch) {
        this.scratch = scratch;
    }

    void notFound(boolean head) {
        respond(404, "Not Found", "text/plain", "not found\n".getBytes(StandardCharsets.US_ASCII), head);
    }

    void respond(int status, String reason, String type, byte[] body, boolean headOnly) {
        respondHeader(status, reason, type, body.length);
        if (!headOnly && body.length > 0) {
            if (out.limit() + body.length <= out.capacity()) {
                int at = out.limit();
                out.limit(at + body.length);
                out.put(at, body); // header and body in one write: no Nagle/delayed-ACK stall between them
            } else {
                this.body = body; // sent from the array itself after the head (cached files are never modified)
                bodyAt = 0;
            }
        }
        responding = true;
    }

    /** The response head (RFC 9112 §4, §6) into the service's scratch buffer: {@link #writeOut} sends it next. */
    void respondHeader(int status, String reason, String type, long length) {
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
    boolean writeOut(TcpConnection c) throws IOException {
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
            if (body != null) {
                bodyAt += c.write(body, bodyAt, body.length - bodyAt);
                if (bodyAt < body.length) {
                    return false;
                }
                body = null;
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

    /** Ends what is sent after the head: a large body's array is let go, a streamed file closed. */
    void endBody() {
        body = null;
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
}
