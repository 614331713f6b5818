package io.tapstack.capture;

/**
 * Counters of a {@link CaptureSession}, like libpcap's {@code struct pcap_stat}.
 *
 * @param seen     frames offered to the session
 * @param filtered frames the filter rejected
 * @param received frames the filter accepted (libpcap ps_recv on Linux counts these)
 * @param dropped  accepted frames lost because the queue to the writer was full (ps_drop)
 * @param written  frames handed to the sink by the writer thread
 */
public record CaptureStats(long seen, long filtered, long received, long dropped, long written) {}
