package io.tapstack.capture;

import java.nio.ByteBuffer;

/**
 * A runnable classic BPF program. Implementations are the {@link BpfInterpreter} and the
 * classes that {@link BpfJit} generates; both give the same result for every program and packet.
 *
 * <p>The result follows libpcap's {@code bpf_filter()}: 0 rejects the packet, any other value
 * accepts it and (read as unsigned) says how many bytes of it to keep. Packet loads are bounded
 * by {@code caplen} (the bytes present); {@code BPF_LEN} loads {@code wirelen} (the length of
 * the packet on the wire, which may be larger when the packet was truncated).
 *
 * <p>Linux's ancillary packet type ({@code ld [SKF_AD_OFF + SKF_AD_PKTTYPE]}, which libpcap
 * emits for {@code inbound}/{@code outbound}) reads the {@code pkttype} argument; with
 * {@link Bpf#NO_PKTTYPE} (a file, or the four-argument methods) that load fails and the packet is
 * rejected, as libpcap's {@code bpf_filter()} does.
 *
 * <p>Implementations are thread-safe and allocate nothing per call on the {@link ByteBuffer}
 * path. The buffer's position, limit and byte order are ignored: loads are absolute and big-endian.
 */
public interface BpfFilter {

    /**
     * Runs the program over {@code caplen} bytes of {@code packet} starting at absolute index
     * {@code offset}; {@code pkttype} is the Linux packet type (PACKET_HOST ... PACKET_OUTGOING)
     * or {@link Bpf#NO_PKTTYPE}.
     *
     * @throws IndexOutOfBoundsException if {@code [offset, offset + caplen)} is not inside the
     *         buffer's limit, or {@code caplen} is negative
     */
    int filter(ByteBuffer packet, int offset, int caplen, int wirelen, int pkttype);

    /** As above, over {@code caplen} bytes of {@code packet} from {@code offset}. */
    int filter(byte[] packet, int offset, int caplen, int wirelen, int pkttype);

    /** Runs the program with no packet type known. */
    default int filter(ByteBuffer packet, int offset, int caplen, int wirelen) {
        return filter(packet, offset, caplen, wirelen, Bpf.NO_PKTTYPE);
    }

    /** Runs the program over {@code caplen} bytes of {@code packet} from {@code offset}, no packet type known. */
    default int filter(byte[] packet, int offset, int caplen, int wirelen) {
        return filter(packet, offset, caplen, wirelen, Bpf.NO_PKTTYPE);
    }

    /** Runs the program over a whole, untruncated packet. */
    default int filter(byte[] packet) {
        return filter(packet, 0, packet.length, packet.length);
    }

    /** True if the program accepts the packet (returns non-zero). */
    default boolean matches(ByteBuffer packet, int offset, int caplen, int wirelen) {
        return filter(packet, offset, caplen, wirelen) != 0;
    }

    /** True if the program accepts the whole, untruncated packet. */
    default boolean matches(byte[] packet) {
        return filter(packet) != 0;
    }
}
