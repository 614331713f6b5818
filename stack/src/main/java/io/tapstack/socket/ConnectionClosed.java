package io.tapstack.socket;

/** Thrown or reported when the connection was closed or shut down locally and cannot do this any more. */
public class ConnectionClosed extends TcpException {
    public ConnectionClosed(String message) {
        super(message);
    }
}
