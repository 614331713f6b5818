package io.tapstack.socket;

/** Thrown or reported when the connection was aborted locally (abort, or close with unread data). */
public class ConnectionAborted extends TcpException {
    public ConnectionAborted(String message) {
        super(message);
    }
}
