package io.tapstack.tap;

/** A TAP operation failed; the message names the call and errno and is fit for a user. */
public final class TapException extends RuntimeException {
    private final int errno;

    public TapException(String message, int errno) {
        super(message);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
