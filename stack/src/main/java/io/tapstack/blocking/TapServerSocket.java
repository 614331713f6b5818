package io.tapstack.blocking;

import io.tapstack.EventLoop;
import io.tapstack.socket.ConnectionClosed;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpListener;
import io.tapstack.tcp.TcpSocketOptions;
import io.tapstack.wire.IpAddr;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking listening socket for ordinary threads, like {@link java.net.ServerSocket}. The
 * listener's bounded accept queue is the only buffer; {@link #accept()} takes one connection
 * from it through the loop's command queue.
 */
public final class TapServerSocket implements Closeable {
    private final EventLoop loop;
    private final TcpListener listener;
    private volatile int soTimeoutMillis;
    private CompletableFuture<TapSocket> pendingAccept; // loop-only

    private TapServerSocket(EventLoop loop, TcpListener l) {
        this.loop = loop;
        this.listener = l;
    }

    /** Listens on {@code addr} (null = wildcard) and {@code port}. */
    public static TapServerSocket bind(EventLoop loop, IpAddr addr, int port, int backlog, TcpSocketOptions options)
            throws IOException {
        CompletableFuture<TapServerSocket> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                TcpListener l = loop.stack().tcp().listen(addr, port, backlog, options);
                TapServerSocket s = new TapServerSocket(loop, l);
                l.setAcceptHandler(x -> s.onAcceptable());
                f.complete(s);
            } catch (TcpException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return get(f, 0);
    }

    public static TapServerSocket bind(EventLoop loop, int port) throws IOException {
        return bind(loop, null, port, 0, null);
    }

    private void onAcceptable() {
        if (pendingAccept != null) {
            TcpConnection c = listener.accept();
            if (c != null) {
                CompletableFuture<TapSocket> f = pendingAccept;
                pendingAccept = null;
                f.complete(TapSocket.adopt(loop, c));
            }
        }
    }

    /** Waits for a connection (up to the SO_TIMEOUT, if set). */
    public TapSocket accept() throws IOException {
        CompletableFuture<TapSocket> f = new CompletableFuture<>();
        loop.execute(() -> {
            if (listener.isClosed()) {
                f.completeExceptionally(new ConnectionClosed("server socket closed"));
                return;
            }
            if (pendingAccept != null) {
                f.completeExceptionally(new IOException("concurrent accept"));
                return;
            }
            TcpConnection c = listener.accept();
            if (c != null) {
                f.complete(TapSocket.adopt(loop, c));
            } else {
                pendingAccept = f;
            }
        });
        try {
            return get(f, soTimeoutMillis);
        } catch (SocketTimeoutException e) {
            get(loop.call(() -> {
                if (pendingAccept == f) {
                    pendingAccept = null;
                }
                return null;
            }), 0);
            if (f.isDone()) {
                return get(f, 0);
            }
            throw e;
        }
    }

    public void setSoTimeout(int millis) {
        soTimeoutMillis = millis;
    }

    public int getLocalPort() {
        return listener.port();
    }

    @Override
    public void close() throws IOException {
        get(loop.call(() -> {
            listener.close();
            if (pendingAccept != null) {
                pendingAccept.completeExceptionally(new ConnectionClosed("server socket closed"));
                pendingAccept = null;
            }
            return null;
        }), 0);
    }

    private static <T> T get(CompletableFuture<T> f, long timeoutMillis) throws IOException {
        try {
            return timeoutMillis > 0 ? f.get(timeoutMillis, TimeUnit.MILLISECONDS) : f.get();
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("accept timed out after " + timeoutMillis + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }
}
