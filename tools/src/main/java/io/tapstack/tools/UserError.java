package io.tapstack.tools;

/** A failure caused by how the tool was used; printed as one line, exit code 1. */
public final class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }
}
