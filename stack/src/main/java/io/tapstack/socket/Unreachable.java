package io.tapstack.socket;

/** Thrown or reported when an ICMP error or the lack of a route made the destination unreachable (RFC 1122 §4.2.3.9). */
public class Unreachable extends TcpException {
    public Unreachable(String message) {
        super(message);
    }
}
