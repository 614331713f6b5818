package io.tapstack.socket;

/** Thrown or reported when the peer reset an established connection (RFC 9293 §3.10.7.4). */
public class ConnectionReset extends TcpException {
    public ConnectionReset(String message) {
        super(message);
    }
}
