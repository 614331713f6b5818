package io.tapstack.blocking;

import io.tapstack.EventLoop;
import io.tapstack.socket.ConnectionClosed;
import io.tapstack.socket.TcpException;
import io.tapstack.socket.TimedOut;
import io.tapstack.tcp.Tcp;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpSocketOptions;
import io.tapstack.wire.IpAddr;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking TCP socket for ordinary threads, in the spirit of {@link java.net.Socket}, on
 * top of a loop-owned {@link TcpConnection}.
 *
 * <p>Every operation is marshalled onto the event loop with {@link EventLoop#execute}; the
 * loop never blocks or takes a lock. A read hands the caller's array to the loop, which fills
 * it directly from the receive ring (at once, or when the connection next becomes readable)
 * and completes a future; a write hands its bytes over the same way and returns once they are
 * all in the send ring. So the only buffering is the connection's own bounded rings.
 */
public final class TapSocket implements Closeable {
    private final EventLoop loop;
    private TcpConnection conn; // loop-only after construction
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private volatile int soTimeoutMillis;
    private volatile boolean closed;
    // loop-only state
    private Op pendingRead;
    private Op pendingWrite;
    private final InputStream in = new In();
    private final OutputStream out = new Out();

    /** A read or write waiting on the loop for readiness. */
    private static final class Op {
        final byte[] b;
        int off;
        final int end;
        final CompletableFuture<Integer> done = new CompletableFuture<>();

        Op(byte[] b, int off, int len) {
            this.b = b;
            this.off = off;
            this.end = off + len;
        }
    }

    private final TcpHandler handler = new TcpHandler() {
        @Override
        public void onConnected(TcpConnection c) {
            connected.complete(null);
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (pendingRead != null && tryRead(pendingRead)) {
                pendingRead = null;
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (pendingWrite != null && tryWrite(pendingWrite)) {
                pendingWrite = null;
            }
        }

        @Override
        public void onClosed(TcpConnection c, TcpException error) {
            if (!connected.isDone()) {
                connected.completeExceptionally(error != null ? error : new ConnectionClosed("closed while connecting"));
            }
            if (pendingRead != null && tryRead(pendingRead)) {
                pendingRead = null;
            }
            if (pendingWrite != null) {
                pendingWrite.done.completeExceptionally(error != null ? error : new ConnectionClosed("connection closed"));
                pendingWrite = null;
            }
        }
    };

    private TapSocket(EventLoop loop) {
        this.loop = loop;
    }

    /** Wraps a connection accepted on the loop (called on the loop thread). */
    static TapSocket adopt(EventLoop loop, TcpConnection c) {
        TapSocket s = new TapSocket(loop);
        s.conn = c;
        s.connected.complete(null);
        c.setHandler(s.handler);
        return s;
    }

    /** Connects (blocking up to {@code timeoutMillis}, 0 = until TCP gives up). */
    public static TapSocket connect(EventLoop loop, IpAddr addr, int port, TcpSocketOptions options, long timeoutMillis)
            throws IOException {
        TapSocket s = new TapSocket(loop);
        CompletableFuture<Void> started = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                Tcp tcp = loop.stack().tcp();
                s.conn = tcp.connect(addr, port, options, s.handler);
                started.complete(null);
            } catch (TcpException | RuntimeException e) {
                started.completeExceptionally(e);
            }
        });
        await(started, 0);
        try {
            await(s.connected, timeoutMillis);
        } catch (SocketTimeoutException e) {
            s.abort();
            throw new TimedOut("connect to " + addr + ":" + port + " timed out");
        }
        return s;
    }

    public static TapSocket connect(EventLoop loop, IpAddr addr, int port) throws IOException {
        return connect(loop, addr, port, null, 0);
    }

    private static <T> T await(CompletableFuture<T> f, long timeoutMillis) throws IOException {
        try {
            return timeoutMillis > 0 ? f.get(timeoutMillis, TimeUnit.MILLISECONDS) : f.get();
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("timed out after " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        }
    }

    // ---- loop side

    private boolean tryRead(Op r) {
        try {
            int n = conn.read(r.b, r.off, r.end - r.off);
            if (n == 0 && conn.isOpen()) {
                return false;
            }
            if (n == 0) {
                n = -1; // closed without error and nothing left
            }
            r.done.complete(n);
        } catch (TcpException e) {
            r.done.completeExceptionally(e);
        }
        return true;
    }

    private boolean tryWrite(Op w) {
        try {
            while (w.off < w.end) {
                int n = conn.write(w.b, w.off, w.end - w.off);
                if (n == 0) {
                    return false;
                }
                w.off += n;
            }
            w.done.complete(w.end);
        } catch (TcpException e) {
            w.done.completeExceptionally(e);
        }
        return true;
    }

    // ---- caller side

    /** Blocking read: at least one byte, -1 at end of stream; honours {@link #setSoTimeout}. */
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        Op r = new Op(b, off, len);
        loop.execute(() -> {
            if (pendingRead != null) {
                r.done.completeExceptionally(new IOException("concurrent read"));
            } else if (!tryRead(r)) {
                pendingRead = r;
            }
        });
        int t = soTimeoutMillis;
        try {
            return await(r.done, t);
        } catch (SocketTimeoutException e) {
            // withdraw the read on the loop; if it completed meanwhile, its result stands
            await(loop.call(() -> {
                if (pendingRead == r) {
                    pendingRead = null;
                }
                return null;
            }), 0);
            if (r.done.isDone()) {
                return await(r.done, 0);
            }
            throw e;
        }
    }

    /** Blocking write of all {@code len} bytes (returns when they are in the send buffer). */
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return;
        }
        Op w = new Op(b, off, len);
        loop.execute(() -> {
            if (pendingWrite != null) {
                w.done.completeExceptionally(new IOException("concurrent write"));
            } else if (!tryWrite(w)) {
                pendingWrite = w;
            }
        });
        await(w.done, 0);
    }

    public InputStream getInputStream() {
        return in;
    }

    public OutputStream getOutputStream() {
        return out;
    }

    /** Read timeout in milliseconds (0 = none), like {@link java.net.Socket#setSoTimeout}. */
    public void setSoTimeout(int millis) {
        soTimeoutMillis = millis;
    }

    public int getSoTimeout() {
        return soTimeoutMillis;
    }

    public void setTcpNoDelay(boolean on) throws IOException {
        await(loop.call(() -> {
            conn.setNoDelay(on);
            return null;
        }), 0);
    }

    public void setKeepAlive(boolean on) throws IOException {
        await(loop.call(() -> {
            conn.setKeepAlive(on);
            return null;
        }), 0);
    }

    /** Half-close: FIN after the queued data; reading continues. */
    public void shutdownOutput() throws IOException {
        await(loop.call(() -> {
            conn.shutdownOutput();
            return null;
        }), 0);
    }

    /** Closes (FIN after queued data; RST if unread data is pending, RFC 9293 §3.10.4). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        await(loop.call(() -> {
            if (conn != null) {
                conn.close();
                failPending(new ConnectionClosed("socket closed"));
            }
            return null;
        }), 0);
    }

    /** Resets the connection. */
    public void abort() throws IOException {
        closed = true;
        await(loop.call(() -> {
            if (conn != null) {
                conn.abort();
                failPending(new ConnectionClosed("socket aborted"));
            }
            return null;
        }), 0);
    }

    private void failPending(TcpException e) {
        if (pendingRead != null) {
            pendingRead.done.completeExceptionally(e);
            pendingRead = null;
        }
        if (pendingWrite != null) {
            pendingWrite.done.completeExceptionally(e);
            pendingWrite = null;
        }
    }

    public boolean isClosed() {
        return closed;
    }

    public IpAddr getInetAddress() throws IOException {
        return await(loop.call(() -> conn.remoteAddress()), 0);
    }

    public int getPort() throws IOException {
        return await(loop.call(() -> conn.remotePort()), 0);
    }

    public int getLocalPort() throws IOException {
        return await(loop.call(() -> conn.localPort()), 0);
    }

    /** The connection's {@code ss -ti}-style line. */
    public String info() throws IOException {
        return await(loop.call(() -> conn.info().format()), 0);
    }

    private final class In extends InputStream {
        private final byte[] one = new byte[1];

        @Override
        public int read() throws IOException {
            int n = TapSocket.this.read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return TapSocket.this.read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            TapSocket.this.close();
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            TapSocket.this.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            TapSocket.this.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            TapSocket.this.close();
        }
    }
}
