package io.tapstack.tcp;

import io.tapstack.socket.TcpException;

/**
 * Readiness callbacks of a {@link TcpConnection}, called on the loop thread after a segment or
 * timer has been fully processed (never from inside protocol processing, so a callback may
 * read, write or close freely).
 */
public interface TcpHandler {
    /** The handshake completed (active or passive open). */
    default void onConnected(TcpConnection c) {
    }

    /** New in-order data or the peer's FIN arrived: read until 0 (or -1 at end of stream). */
    default void onReadable(TcpConnection c) {
    }

    /** Send-buffer space became free after a write was cut short. */
    default void onWritable(TcpConnection c) {
    }

    /**
     * The connection is finished: {@code error} is null after an orderly close, else why it
     * failed ({@code ConnectionRefused}, {@code ConnectionReset}, {@code TimedOut}, …).
     * Called exactly once.
     */
    default void onClosed(TcpConnection c, TcpException error) {
    }
}
