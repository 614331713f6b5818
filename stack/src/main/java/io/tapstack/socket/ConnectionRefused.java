package io.tapstack.socket;

/** Thrown or reported when the peer answered the SYN with a reset (RFC 9293 §3.10.7.3). */
public class ConnectionRefused extends TcpException {
    public ConnectionRefused(String message) {
        super(message);
    }
}
