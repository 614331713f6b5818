package io.tapstack.socket;

import java.io.IOException;

/**
 * The root of the typed socket errors ({@link ConnectionRefused}, {@link ConnectionReset},
 * {@link TimedOut}, {@link AddressInUse}, {@link Unreachable}, {@link ConnectionClosed},
 * {@link ConnectionAborted}). An {@link IOException}, so the blocking facade's streams can
 * throw them unchanged.
 */
public class TcpException extends IOException {
    public TcpException(String message) {
        super(message);
    }
}
