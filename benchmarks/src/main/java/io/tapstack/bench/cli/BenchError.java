package io.tapstack.bench.cli;

/** A failure caused by how the tool was used; printed as one line, exit code 1. */
final class BenchError extends RuntimeException {
    BenchError(String message) {
        super(message);
    }
}
