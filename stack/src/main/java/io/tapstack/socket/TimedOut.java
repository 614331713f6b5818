package io.tapstack.socket;

/** Thrown or reported when retransmissions, the user timeout or keepalive gave up (RFC 9293 §3.8.3). */
public class TimedOut extends TcpException {
    public TimedOut(String message) {
        super(message);
    }
}
