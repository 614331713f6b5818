package io.tapstack.socket;

/** Thrown or reported when the local address and port are taken. */
public class AddressInUse extends TcpException {
    public AddressInUse(String message) {
        super(message);
    }
}
