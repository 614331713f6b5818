package io.tapstack.service;

import io.tapstack.NetStack;
import io.tapstack.EventLoop;
import io.tapstack.socket.TcpException;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpListener;
import io.tapstack.tcp.TcpSocketOptions;

import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Base of the built-in TCP services: a listener on the loop whose accepted connections each get
 * a fresh {@link TcpHandler}. Uses only the public socket API.
 */
abstract class LoopService implements Service {
    /** The loop the service runs on, or null when the caller drives the stack itself (tests). */
    protected final EventLoop loop;
    protected final NetStack stack;
    protected final int port;
    private TcpListener listener;
    private int active;

    LoopService(EventLoop loop, int port) {
        this(loop, loop.stack(), port);
    }

    LoopService(EventLoop loop, NetStack stack, int port) {
        this.loop = loop;
        this.stack = stack;
        this.port = port;
    }

    /** A handler for one new connection (called on the loop). */
    protected abstract TcpHandler newHandler(TcpConnection c);

    /** The options every accepted connection inherits from the listener (null: the stack's defaults). */
    protected TcpSocketOptions listenOptions() {
        return null;
    }

    /**
     * A handler that calls {@link #connectionClosed} from its own {@code onClosed}: the service
     * then sets it on the connection as it is, without a counting wrapper per connection.
     */
    interface Counted extends TcpHandler {
    }

    /** A connection of this service closed (its {@link Counted} handler says so once). */
    protected final void connectionClosed() {
        active--;
    }

    /** Starts listening (marshalled onto the loop). */
    final LoopService start() throws Exception {
        onLoop(() -> {
            try {
                listener = stack.tcp().listen(null, port, 0, listenOptions());
            } catch (TcpException e) {
                throw new IllegalStateException(name() + ": " + e.getMessage(), e);
            }
            listener.setAcceptHandler(l -> {
                TcpConnection c;
                while ((c = l.accept()) != null) {
                    active++;
                    TcpHandler h = newHandler(c);
                    if (h instanceof Counted) {
                        c.setHandler(h);
                        continue;
                    }
                    c.setHandler(new TcpHandler() {
                        @Override
                        public void onConnected(TcpConnection x) {
                            h.onConnected(x);
                        }

                        @Override
                        public void onReadable(TcpConnection x) {
                            h.onReadable(x);
                        }

                        @Override
                        public void onWritable(TcpConnection x) {
                            h.onWritable(x);
                        }

                        @Override
                        public void onClosed(TcpConnection x, TcpException error) {
                            active--;
                            h.onClosed(x, error);
                        }
                    });
                }
            });
            return null;
        });
        return this;
    }

    private <T> T onLoop(Supplier<T> s) throws Exception {
        if (loop == null || loop.inLoop()) {
            return s.get();
        }
        try {
            return loop.call(s).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        }
    }

    /** Connections currently open (loop thread). */
    int activeConnections() {
        return active;
    }

    @Override
    public String describe() {
        return name() + " tcp/" + port;
    }

    @Override
    public void close() {
        try {
            onLoop(() -> {
                if (listener != null) {
                    listener.close();
                }
                return null;
            });
        } catch (Exception e) {
            // the loop is gone: nothing left to close
        }
    }
}
