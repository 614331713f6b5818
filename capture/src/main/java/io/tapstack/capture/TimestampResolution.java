package io.tapstack.capture;

/** Timestamp resolution of a capture file. */
public enum TimestampResolution {
    /** pcap magic 0xa1b2c3d4; pcapng if_tsresol 6 (the default, option omitted). */
    MICROSECONDS,
    /** pcap magic 0xa1b23c4d; pcapng if_tsresol 9. */
    NANOSECONDS
}
