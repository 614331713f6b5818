package io.tapstack.capture;

/**
 * One packet read back from a pcap or pcapng file.
 *
 * @param timestampNanos time since the epoch in nanoseconds (microsecond files are scaled)
 * @param data           the captured bytes
 * @param wireLength     the original length on the wire
 * @param direction      from pcapng epb_flags; UNKNOWN for pcap
 * @param linkType       the interface's link type (1 = Ethernet)
 */
public record CaptureRecord(long timestampNanos, byte[] data, int wireLength, Direction direction, int linkType) {}
