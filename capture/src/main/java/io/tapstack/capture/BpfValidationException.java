package io.tapstack.capture;

/** A classic BPF program was rejected by {@link BpfValidator}. */
public final class BpfValidationException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int index;

    public BpfValidationException(int index, String message) {
        super(index >= 0 ? "invalid BPF program: instruction " + index + ": " + message
                : "invalid BPF program: " + message);
        this.index = index;
    }

    /** The offending instruction's index, or -1 for a whole-program problem. */
    public int index() { return index; }
}
