package io.tapstack.capture;

/** Which way a frame crossed the link boundary. */
public enum Direction {
    /** Received from the link (pcapng epb_flags direction 01). */
    INBOUND,
    /** Sent to the link (pcapng epb_flags direction 10). */
    OUTBOUND,
    /** Not known (pcapng epb_flags direction 00). */
    UNKNOWN
}
