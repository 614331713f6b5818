package io.tapstack.netty;

import io.tapstack.socket.AddressInUse;
import io.tapstack.socket.ConnectionClosed;
import io.tapstack.socket.ConnectionRefused;
import io.tapstack.socket.TimedOut;
import io.tapstack.socket.Unreachable;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;

/**
 * The stack's typed errors as the exceptions Netty applications already handle (those that
 * Netty's NIO transport raises): refused → {@link ConnectException}, unreachable →
 * {@link NoRouteToHostException}, address in use → {@link BindException}, closed →
 * {@link ClosedChannelException}; a reset or a timeout of an open connection stays the stack's
 * {@code ConnectionReset}/{@code TimedOut}, which are {@link IOException}s.
 */
final class TapstackErrors {
    private TapstackErrors() {
    }

    /** The exception for a failure while connecting to {@code remote}. */
    static IOException connectFailure(Throwable e, SocketAddress remote) {
        String where = remote == null ? "" : ": " + remote;
        if (e instanceof ConnectionRefused) {
            return cause(new ConnectException("Connection refused" + where), e);
        }
        if (e instanceof TimedOut) {
            return cause(new ConnectException("Connection timed out" + where), e);
        }
        if (e instanceof Unreachable) {
            return cause(new NoRouteToHostException("No route to host" + where), e);
        }
        if (e instanceof AddressInUse) {
            return cause(new BindException("Address already in use" + where), e);
        }
        if (e instanceof IOException io) {
            return map(io);
        }
        return new IOException(e);
    }

    /** The exception for a failure of an open connection or a bind. */
    static IOException map(IOException e) {
        if (e instanceof ConnectionClosed) {
            return cause(new ClosedChannelException(), e);
        }
        if (e instanceof AddressInUse) {
            return cause(new BindException("Address already in use"), e);
        }
        if (e instanceof Unreachable) {
            return cause(new NoRouteToHostException(e.getMessage()), e);
        }
        if (e instanceof ConnectionRefused) {
            return cause(new ConnectException("Connection refused"), e);
        }
        return e;
    }

    private static <T extends IOException> T cause(T t, Throwable cause) {
        t.initCause(cause);
        return t;
    }
}
