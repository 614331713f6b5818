package io.tapstack.tcp;

/**
 * Where a traced connection's records go ({@link TcpTrace}). Called on the connection's loop
 * thread, once per full ring and when the connection ends or the host flushes; the array is
 * reused after the call returns. {@link TcpTraceFile} writes them to a file.
 */
@FunctionalInterface
public interface TcpTraceSink {
    /** {@code count} records of {@link TcpTrace#WORDS} longs each, from {@code records[0]}. */
    void write(TcpTrace trace, long[] records, int count);
}
